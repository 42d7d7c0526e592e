package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ManifestJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A job's output directory and its completion markers. A directory is complete only when it
 * holds both {@code _manifest.json} and {@code _SUCCESS}; both are written after all data, the
 * marker last, so a failed run never leaves output that looks complete.
 */
public final class OutputDirectory {
  public static final String MANIFEST = "_manifest.json";
  public static final String SUCCESS = "_SUCCESS";

  private final Path path;
  private final Configuration conf;
  private final FileSystem fs;

  public OutputDirectory(String location, Configuration conf) {
    this.path = new Path(location);
    this.conf = conf;
    this.fs = HadoopFiles.fs(path, conf);
  }

  public Path path() {
    return path;
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

  public void delete() {
    try {
      if (fs.exists(path) && !fs.delete(path, true)) {
        throw new DistillException("cannot delete output " + path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete output " + path, e);
    }
  }

  /** Marks the output complete: the manifest, then the {@code _SUCCESS} marker. */
  public void markComplete(Object manifest) {
    HadoopFiles.writeText(child(MANIFEST), ManifestJson.write(manifest), conf);
    HadoopFiles.writeText(child(SUCCESS), "", conf);
  }
}
