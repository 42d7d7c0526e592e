package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ManifestJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Predicate;
import dev.sparkdistill.common.config.WriteMode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's output directory and its completion markers. A directory is complete only when it
 * holds both {@code _manifest.json} and {@code _SUCCESS}; both are written after all data, the
 * marker last, so a failed run never leaves output that looks complete.
 */
public final class OutputDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(OutputDirectory.class);
  public static final String MANIFEST = "_manifest.json";
  public static final String SUCCESS = "_SUCCESS";
  /** What an interrupted Spark write leaves: the file committers' and the S3A magic one's. */
  private static final java.util.Set<String> COMMITTER_LEFTOVERS =
      java.util.Set.of("_temporary", "__magic");

  private final Path path;
  private final Configuration conf;
  private final FileSystem fs;
  private OutputClaim claim;

  public OutputDirectory(String location, Configuration conf) {
    this.path = new Path(location);
    this.conf = conf;
    this.fs = HadoopFiles.fs(path, conf);
  }

  /**
   * Claims the output for this run until the claim is closed (see {@link OutputClaim}); a job
   * takes it before looking at or clearing the output, and closes it when it ends.
   *
   * @param job the command, for the claim's readers ("train")
   */
  public OutputClaim claim(String job) {
    claim = OutputClaim.take(path, conf, job);
    return claim;
  }

  public Path path() {
    return path;
  }

  /** The Hadoop configuration the directory is reached with. */
  public Configuration conf() {
    return conf;
  }

  public Path child(String name) {
    return new Path(path, name);
  }

  public boolean exists() {
    return HadoopFiles.exists(path, conf);
  }

  public boolean isComplete() {
    return HadoopFiles.exists(child(MANIFEST), conf) && HadoopFiles.exists(child(SUCCESS), conf);
  }

  public <T> Optional<T> completeManifest(Class<T> type) {
    if (!isComplete()) {
      return Optional.empty();
    }
    Path manifest = child(MANIFEST);
    return Optional.of(ManifestJson.read(
        HadoopFiles.readText(manifest.toString(), conf), type, manifest.toString()));
  }

  /** True when every entry directly under the directory passes {@code allowed}. */
  public boolean holdsOnly(Predicate<String> allowed) {
    try {
      for (FileStatus status : fs.listStatus(path)) {
        if (!allowed.test(status.getPath().getName())) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + path, e);
    }
  }

  /**
   * Decides what to do with an existing output before a job writes it. Returns the manifest of
   * a complete output made by the same run (same inputs and config) when {@code mode} is
   * {@code ERROR} or {@code REFRESH}: the job is then done already. Otherwise clears the way:
   * nothing exists, or the output is replaced ({@code OVERWRITE}; {@code REFRESH} when it was made
   * from other inputs or config; the leftovers of a failed run), or, when {@code keep} is true,
   * left as it is for the job to continue. Refuses anything else.
   *
   * @param what the kind of output, for messages ("examples table", "model")
   * @param ownLeftover names a failed run of this job leaves behind
   */
  public <T> Optional<T> prepareForWrite(WriteMode mode, Class<T> manifestType,
      Predicate<T> sameRun, Predicate<String> ownLeftover, String what, boolean keep) {
    if (!exists()) {
      return Optional.empty();
    }
    if (mode != WriteMode.OVERWRITE) {
      Optional<T> previous = completeManifest(manifestType);
      if (previous.isPresent()) {
        if (sameRun.test(previous.get())) {
          return previous;
        }
        if (mode == WriteMode.REFRESH) {
          LOG.info("{} holds a complete {} made from other inputs or another config; mode "
              + "refresh replaces it", path, what);
          delete();
          return Optional.empty();
        }
        throw new DistillException("output " + path + " holds a complete " + what + " made "
            + "from other inputs or another config; use --mode overwrite to replace it");
      }
      if (!holdsOnly(name -> ownLeftover.test(name) || name.startsWith(".")
          || COMMITTER_LEFTOVERS.contains(name))) {
        throw new DistillException("output " + path + " exists and is not "
            + (what.matches("[aeiou].*") ? "an " : "a ") + what
            + "; choose another output or use --mode overwrite");
      }
      if (keep) {
        return Optional.empty();
      }
    }
    delete();
    return Optional.empty();
  }

  /**
   * Runs one write into the output. A failure names the output and the first line of its root
   * cause, which a Spark job failure wraps several times.
   *
   * @param what the kind of output, for the message ("examples table")
   */
  public void write(String what, Runnable write) {
    try {
      write.run();
    } catch (DistillException e) {
      throw e;
    } catch (Exception e) { // Spark's checked SparkException, thrown through the Runnable
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
        if (root instanceof DistillException raisedInTask) {
          throw raisedInTask; // already names its file or key: a data or config error
        }
      }
      String message = root.getMessage() == null ? ""
          : ": " + root.getMessage().lines().findFirst().orElse("").trim();
      throw new DistillException("cannot write the " + what + " " + path + ": "
          + root.getClass().getSimpleName() + message, e);
    }
  }

  public void delete() {
    try {
      if (fs.exists(path) && !fs.delete(path, true)) {
        throw new DistillException("cannot delete output " + path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete output " + path, e);
    }
  }

  /**
   * Marks the output complete: the manifest, then the {@code _SUCCESS} marker; first checks
   * that this run still holds its claim, when it took one.
   */
  public void markComplete(Object manifest) {
    if (claim != null) {
      claim.checkStillHeld();
    }
    HadoopFiles.writeText(child(MANIFEST), ManifestJson.write(manifest), conf);
    HadoopFiles.writeText(child(SUCCESS), "", conf);
  }
}
