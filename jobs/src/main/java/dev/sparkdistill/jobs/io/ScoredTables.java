package dev.sparkdistill.jobs.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import dev.sparkdistill.jobs.SessionDefaults;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the jobs that score an examples table into a table of their own ({@code infer},
 * {@code predict}) share: counting rows per split or batch, sizing the scan by the selected
 * splits' bytes, and cleaning up after an interrupted incremental append. Both write tables
 * partitioned by {@code split=} and then, for incremental runs, by the batch column.
 */
public final class ScoredTables {
  private static final Logger LOG = LoggerFactory.getLogger(ScoredTables.class);

  /**
   * Open files a task may keep, one per partition value it meets, before Spark sorts the rest:
   * a task rarely meets more than one split, and train, validation, test and unlabeled are four.
   */
  static final int OPEN_FILES_PER_TASK = 4;

  private ScoredTables() {}

  /**
   * The writer setting for a table partitioned by split: each task writes its rows as they are
   * scored, one open file per split, instead of buffering and sorting them by split first.
   */
  public static SessionDefaults.Setting writeAsScored() {
    return new SessionDefaults.Setting("spark.sql.maxConcurrentOutputFileWriters",
        Integer.toString(OPEN_FILES_PER_TASK), "each task writes its rows as they are scored, "
            + "one open file per split, instead of buffering and sorting them by split first");
  }

  /** Rows per value of a string column (null included), in one aggregation. */
  public static Map<String, Long> rowsBy(String column, Dataset<Row> table) {
    Map<String, Long> counts = new TreeMap<>(Comparator.nullsFirst(Comparator.naturalOrder()));
    table.groupBy(column).count().collectAsList()
        .forEach(r -> counts.put(r.isNullAt(0) ? null : r.getString(0), r.getLong(1)));
    return counts;
  }

  /**
   * Bytes on storage of the chosen splits of a table partitioned by split (their directories,
   * not {@code _rejected}).
   *
   * @param splits split names; empty means all of them
   */
  public static long splitBytes(String table, Collection<String> splits, Configuration conf) {
    Path input = new Path(table);
    Set<String> chosen = new TreeSet<>(splits.stream().map(s -> "split=" + s).toList());
    try {
      long bytes = 0;
      for (FileStatus split : HadoopFiles.fs(input, conf).listStatus(input,
          p -> p.getName().startsWith("split=")
              && (chosen.isEmpty() || chosen.contains(p.getName())))) {
        bytes += HadoopFiles.totalBytes(split.getPath().toString(), conf);
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + table, e);
    }
  }

  /**
   * Before an incremental append: drops {@code _SUCCESS}, the committer's leftovers, and every
   * batch directory the manifest does not list (left by an interrupted append).
   *
   * @param tables the output and any side table partitioned the same way
   */
  public static void removeUnlistedBatches(OutputDirectory out, List<Path> tables,
      String batchColumn, Set<String> listed, Configuration conf) {
    FileSystem fs = HadoopFiles.fs(out.path(), conf);
    String prefix = batchColumn + "=";
    try {
      fs.delete(out.child(OutputDirectory.SUCCESS), false);
      fs.delete(out.child("_temporary"), true);
      for (Path table : tables) {
        if (!fs.exists(table)) {
          continue;
        }
        for (FileStatus split : fs.listStatus(table, p -> p.getName().startsWith("split="))) {
          for (FileStatus batch : fs.listStatus(split.getPath(),
              p -> p.getName().startsWith(prefix))) {
            String value = batch.getPath().getName().substring(prefix.length());
            if (!listed.contains(value)) {
              LOG.warn("removing {}: left by an interrupted run", batch.getPath());
              fs.delete(batch.getPath(), true);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + out.path(), e);
    }
  }
}
