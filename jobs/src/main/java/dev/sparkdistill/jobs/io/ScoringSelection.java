package dev.sparkdistill.jobs.io;

import static org.apache.spark.sql.functions.col;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.targets.ScoringSplits;
import dev.sparkdistill.jobs.OutputJob;
import dev.sparkdistill.jobs.SessionDefaults;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows a scoring job ({@code infer}, {@code predict}) scores in this run: every selected row
 * into an output the write policy has cleared, or, when the job follows a batch column, only the
 * input's batches the output lacks, appended to it.
 *
 * @param bytes the examples' bytes on storage these rows take, which size the scoring tasks
 * @param rowsAfter the input rows the output holds once the run is done
 * @param batchesAfter the batches it holds then; null for a whole-table run
 */
public record ScoringSelection(Dataset<Row> rows, long count, long bytes, boolean append,
    long rowsAfter, List<String> batchesAfter) {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringSelection.class);

  /**
   * How a scoring job follows its input's batches.
   *
   * @param key the batch column's config key ({@code infer.batch-column})
   * @param input the table scored, for messages
   * @param column the batch column, a string column of the selected rows
   * @param verb what the job does to a row ("scored", "predicted")
   * @param sameScoring whether an earlier manifest was written by the same models and config
   * @param batchesOf a manifest's batches; null when a whole-table run wrote it
   * @param other what another scoring's output holds, for the refusal ("predictions of another
   *     model or config")
   * @param tables the output and any side table partitioned the same way
   */
  public record Batches<M>(String key, String input, String column, String verb,
      Predicate<M> sameScoring, Function<M, List<String>> batchesOf, String other,
      List<Path> tables) {}

  /**
   * Every selected row.
   *
   * @param nothing the error for a selection without rows: a wrong split or an empty table
   */
  public static ScoringSelection whole(Dataset<Row> examples, long bytes,
      Supplier<DistillException> nothing) {
    long count = examples.count();
    if (count == 0) {
      throw nothing.get();
    }
    return new ScoringSelection(examples, count, bytes, false, count, null);
  }

  /**
   * The batches of the input the output lacks; empty when the complete output holds them all.
   * What an interrupted append left is removed first, and an output of another scoring is
   * refused or cleared as the mode says.
   *
   * @param bytes the bytes on storage of all the selected rows
   */
  public static <M> Optional<ScoringSelection> freshBatches(OutputJob.Output<M> output,
      OutputDirectory out, Batches<M> batches, Dataset<Row> examples, long bytes,
      Supplier<DistillException> nothing) {
    Configuration conf = out.conf();
    // One pass gives the batches, their rows, and whether any row lacks a batch.
    Map<String, Long> rowsByBatch = ScoredTables.rowsByBatch(examples, batches.column(),
        batches.key(), batches.input(), batches.verb());
    if (rowsByBatch.isEmpty()) {
      throw nothing.get();
    }
    ScoredTables.BatchPlan plan = new ScoredTables.BatchPlan(rowsByBatch,
        ScoredTables.heldBatches(out, conf, output.mode(), output.manifestType(),
            batches.sameScoring(), batches.batchesOf(), output.ownLeftover(), batches.other()));
    if (plan.fresh().isEmpty() && out.isComplete()) {
      LOG.info("{} already holds every batch of {} ({}); nothing to do", out.path(),
          batches.input(), plan.held());
      return Optional.empty();
    }
    ScoredTables.removeUnlistedBatches(out, batches.tables(), batches.column(), plan.held(),
        conf);
    LOG.info("batches {} of {} to be {}; {} {} before", plan.fresh(), batches.column(),
        batches.verb(), plan.held(), batches.verb());
    return Optional.of(new ScoringSelection(
        examples.filter(col(batches.column()).isin(plan.fresh().toArray())), plan.freshRows(),
        (long) (bytes * plan.freshShare()), true, plan.rowsAfter(), plan.batchesAfter()));
  }

  /**
   * The error for a selection without rows, with the input's rows per split: a wrong split
   * or an empty table upstream.
   *
   * @param job the job's config section ("infer")
   * @param splits the splits the job selects; empty for all of them
   * @param verb what the job does ("score")
   */
  public static DistillException nothingSelected(SparkSession spark, String job, String input,
      List<String> splits, String verb) {
    Map<String, Long> bySplit = ScoredTables.rowsBy("split", spark.read().parquet(input));
    String counts = bySplit.isEmpty() ? "none" : bySplit.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
    return new DistillException((splits.isEmpty() ? job + ".input has no rows: "
        : job + ".splits = " + splits + " selects no rows of ") + input + " (rows per split: "
        + counts + "); nothing to " + verb);
  }

  /**
   * The reader settings a scoring pass over these rows runs under; set before the scan is
   * planned, since the RDD fixes its splits and reader when it is made.
   *
   * @param parallelism the task slots
   * @param batchSize the rows a model scores at a time
   */
  public List<SessionDefaults.Setting> readerSettings(int parallelism, int batchSize) {
    return List.of(
        new SessionDefaults.Setting("spark.sql.files.maxPartitionBytes",
            Long.toString(ScoringSplits.maxPartitionBytes(bytes, parallelism)),
            "many small scoring tasks end together"),
        new SessionDefaults.Setting("spark.sql.parquet.columnarReaderBatchSize",
            Integer.toString(ScoringSplits.readerBatchRows(batchSize)),
            "the Parquet reader holds one scoring batch of features at a time"));
  }
}
