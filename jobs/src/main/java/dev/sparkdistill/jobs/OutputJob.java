package dev.sparkdistill.jobs;

import dev.sparkdistill.common.config.WriteMode;
import dev.sparkdistill.jobs.io.OutputClaim;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.model.ShippedModel;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The skeleton every job that writes one output runs in, so that each job holds only what is its
 * own (Iceberg's {@code BaseSparkAction} plays this part for its actions). In order:
 * <ol>
 *   <li>the inputs are read and checked complete, before anything is claimed or cleared: a wrong
 *       input fails the run with the output untouched;
 *   <li>the output is claimed for the run ({@link OutputClaim}), so that two runs never write it
 *       at once;
 *   <li>the write policy: an output already complete from the same inputs and config ends the run
 *       at once with its manifest; a failed run's leftovers are cleared; anything else is refused
 *       or replaced as the mode says ({@link OutputDirectory#prepareForWrite});
 *   <li>the job writes its data;
 *   <li>completion: the manifest and then {@code _SUCCESS}, only while the claim holds, so a failed
 *       run never leaves output that looks complete;
 *   <li>what the run held (shipped models, cached rows) is released, whatever happened.
 * </ol>
 *
 * <p>Jobs that add to their output (an incremental batch, a resumed training) say so with {@link
 * #continues}; their {@link #write} then decides what the output keeps and may find nothing to
 * do ({@link Written#unchanged}).
 *
 * @param <I> what a run works from, read before the output is claimed
 * @param <M> the output's manifest
 */
public abstract class OutputJob<I, M> {
  private static final Logger LOG = LoggerFactory.getLogger(OutputJob.class);

  /**
   * How a job names and recognises its output.
   *
   * @param job the command, for the claim ("infer")
   * @param what the kind of output, for messages ("targets table")
   * @param ownLeftover names a failed run of this job leaves in the output
   */
  public record Output<M>(String job, String location, WriteMode mode, Class<M> manifestType,
      String what, Predicate<String> ownLeftover) {}

  /** A run's output and when the run began, for the manifest. */
  public record Run(SparkSession spark, OutputDirectory out, String started) {}

  /**
   * What {@link #write} did: wrote the output, whose manifest completion then records, or found
   * the output already holding everything (a continued output with nothing new to add).
   */
  public record Written<M>(M manifest, boolean fresh) {
    public static <M> Written<M> complete(M manifest) {
      return new Written<>(manifest, true);
    }

    public static <M> Written<M> unchanged(M manifest) {
      return new Written<>(manifest, false);
    }
  }

  protected abstract Output<M> output();

  /** Reads and checks the inputs; called before the output is claimed. */
  protected abstract I readInputs(SparkSession spark);

  /** Whether a complete output with this manifest is this run's result already. */
  protected abstract boolean sameRun(M previous, I inputs);

  /** Writes the output's data and returns its manifest; completion is not its business. */
  protected abstract Written<M> write(Run run, I inputs);

  /** What the completion log line adds after the output's path ("70000 rows"). */
  protected abstract String describe(M manifest);

  /**
   * Whether this run adds to what the output holds (the batches an incremental run lacks)
   * rather than replacing it: {@link #write} then decides what the output keeps, and the
   * whole-output policy of {@link #existing} is skipped.
   */
  protected boolean continues(I inputs) {
    return false;
  }

  /**
   * Whether the leftovers of a failed run are kept for this run to pick up (a training resumed
   * from its checkpoints) instead of cleared.
   */
  protected boolean resumes(I inputs) {
    return false;
  }

  /**
   * The write policy, before anything is written: the manifest of an output already complete
   * from the same run, else empty with the way cleared. A job that must read the earlier output
   * before it is cleared (a warm start) overrides this and calls it.
   */
  protected Optional<M> existing(OutputDirectory out, I inputs) {
    if (continues(inputs)) {
      return Optional.empty();
    }
    Output<M> output = output();
    return out.prepareForWrite(output.mode(), output.manifestType(),
        previous -> sameRun(previous, inputs), output.ownLeftover(), output.what(),
        resumes(inputs));
  }

  /**
   * Frees what the run held in this JVM, however the run ended: the models it shipped (scoring
   * jobs load them on the driver too, and in local mode the executors are this JVM).
   */
  protected void release() {
    ShippedModel.releaseAll();
  }

  /** Runs the job: returns the output's manifest, this run's or the earlier same run's. */
  public final M run(SparkSession spark) {
    return run(spark, spark.sparkContext().hadoopConfiguration());
  }

  /** The skeleton with the file systems reached through {@code conf}. */
  final M run(SparkSession spark, Configuration conf) {
    String started = Instant.now().toString();
    Output<M> output = output();
    try {
      I inputs = readInputs(spark);
      OutputDirectory out = new OutputDirectory(output.location(), conf);
      try (OutputClaim claim = out.claim(output.job())) {
        Optional<M> done = existing(out, inputs);
        if (done.isPresent()) {
          LOG.info("{} is already complete for these inputs and this config; nothing to do",
              out.path());
          return done.get();
        }
        Written<M> written = write(new Run(spark, out, started), inputs);
        if (written.fresh()) {
          out.markComplete(written.manifest());
          LOG.info("{} complete at {}: {}", output.what(), out.path(),
              describe(written.manifest()));
        }
        return written.manifest();
      }
    } finally {
      release();
    }
  }
}
