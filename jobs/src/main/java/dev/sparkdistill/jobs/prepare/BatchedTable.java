package dev.sparkdistill.jobs.prepare;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.io.ScoredTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The files of an examples table built batch by batch: {@code split=S/batch=B/} directories,
 * the layout incremental {@code infer} and {@code predict} read. A batch is written under
 * {@code _staging/} (which readers skip), counted there, and then renamed into place, so the
 * table readers see keeps its manifest's batches until the new manifest lists the new one.
 */
final class BatchedTable {
  static final String BATCH = "batch";
  static final String STAGING = "_staging";
  private static final String SPLIT_PREFIX = ParsedRows.SPLIT + "=";
  private static final String BATCH_PREFIX = BATCH + "=";

  private final OutputDirectory out;
  private final Configuration conf;
  private final FileSystem fs;

  BatchedTable(OutputDirectory out, Configuration conf) {
    this.out = out;
    this.conf = conf;
    this.fs = HadoopFiles.fs(out.path(), conf);
  }

  Path staging() {
    return out.child(STAGING);
  }

  /** What an append leaves in the output besides the table's own files, if it dies. */
  static boolean isOwnLeftover(String name) {
    return name.startsWith(SPLIT_PREFIX) || name.equals(STAGING) || name.equals("_temporary")
        || name.equals("_rejected") || name.equals(OutputDirectory.MANIFEST);
  }

  /**
   * Removes what an interrupted append left: the staging directory, the committer's
   * {@code _temporary}, and every batch directory the manifest does not list.
   */
  void removeUnlisted(Set<String> listed) {
    try {
      fs.delete(staging(), true);
      fs.delete(out.child("_temporary"), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + out.path(), e);
    }
    ScoredTables.removeBatchesNotIn(out.path(), BATCH, listed, conf);
  }

  /**
   * Replaces batch {@code name}'s directories in the table by those staged, one rename per
   * split, and removes the staging directory.
   */
  void moveIn(String name) {
    String batchDir = BATCH_PREFIX + name;
    try {
      for (FileStatus split : fs.listStatus(out.path(),
          p -> p.getName().startsWith(SPLIT_PREFIX))) {
        fs.delete(new Path(split.getPath(), batchDir), true);
      }
      for (FileStatus staged : fs.listStatus(staging(),
          p -> p.getName().startsWith(SPLIT_PREFIX))) {
        Path split = out.child(staged.getPath().getName());
        fs.mkdirs(split);
        Path target = new Path(split, batchDir);
        if (!fs.rename(new Path(staged.getPath(), batchDir), target)) {
          throw new DistillException("cannot move the staged batch " + name + " to " + target);
        }
      }
      fs.delete(staging(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move batch " + name + " into " + out.path(), e);
    }
  }
}
