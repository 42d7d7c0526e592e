package dev.sparkdistill.jobs.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.WriteMode;
import dev.sparkdistill.common.manifest.ManifestJson;
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
   * Arrays as two-level Parquet lists (a repeated float, no group per element), a form the
   * Parquet spec defines for every reader: it saves the group calls per element, about a third
   * of the writer's CPU for tables of feature arrays. Spark reads both forms as one table.
   */
  public static SessionDefaults.Setting twoLevelLists() {
    return new SessionDefaults.Setting("spark.sql.parquet.writeLegacyFormat", "true",
        "feature arrays as two-level Parquet lists");
  }

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
   * Refuses an input that lacks the batch column a job was told to follow.
   *
   * @param key the config key naming the column ({@code infer.batch-column})
   */
  public static void requireBatchColumn(Dataset<Row> input, String key, String batchColumn,
      String inputPath) {
    if (!java.util.Arrays.asList(input.columns()).contains(batchColumn)) {
      throw new DistillException(key + " = '" + batchColumn + "' is not a column of "
          + inputPath + "; its columns are " + java.util.Arrays.toString(input.columns()));
    }
  }

  /**
   * Rows per batch of an incremental run's input, in one pass; a row without a batch is refused,
   * since it could never be scored exactly once.
   *
   * @param column the input's batch column, as a string
   * @param key the batch column's config key, for the message
   * @param verb what the job does to a row ("scored", "predicted")
   */
  public static Map<String, Long> rowsByBatch(Dataset<Row> input, String column, String key,
      String inputPath, String verb) {
    Map<String, Long> rows = rowsBy(column, input);
    if (rows.containsKey(null)) {
      throw new DistillException(key + " = '" + column + "' is null in some rows of "
          + inputPath + "; every row needs a batch to be " + verb + " exactly once");
    }
    return rows;
  }

  /**
   * The batches an existing output holds for the same scoring (from its manifest, complete or
   * not). Another scoring's output is refused under mode {@code error}; it is cleared, and so
   * is any output under {@code overwrite}, leaving nothing held.
   *
   * @param sameScoring whether a manifest was written by the same models and config
   * @param batchesOf a manifest's batches; null when it was written by a whole-table run
   * @param ownLeftover names a failed run of this job leaves behind
   * @param other what another scoring's output holds, for the refusal ("predictions of another
   *     model or config")
   */
  public static <M> Set<String> heldBatches(OutputDirectory out, Configuration conf,
      WriteMode mode, Class<M> manifestType, Predicate<M> sameScoring,
      Function<M, List<String>> batchesOf, Predicate<String> ownLeftover, String other) {
    if (!out.exists()) {
      return new TreeSet<>();
    }
    Path manifestPath = out.child(OutputDirectory.MANIFEST);
    Optional<M> previous = HadoopFiles.exists(manifestPath, conf)
        ? Optional.of(ManifestJson.read(HadoopFiles.readText(manifestPath.toString(), conf),
            manifestType, manifestPath.toString()))
        : Optional.empty();
    boolean same = previous.isPresent() && sameScoring.test(previous.get())
        && batchesOf.apply(previous.get()) != null;
    if (!same && mode == WriteMode.ERROR
        && (previous.isPresent() || !out.holdsOnly(ownLeftover))) {
      throw new DistillException("output " + out.path() + " holds " + other + "; use --mode "
          + "overwrite to replace it");
    }
    if (!same || mode == WriteMode.OVERWRITE) {
      out.delete();
      return new TreeSet<>();
    }
    return new TreeSet<>(batchesOf.apply(previous.get()));
  }

  /**
   * An incremental run's plan: every batch of the input with its rows, and the batches the
   * output holds already.
   */
  public record BatchPlan(Map<String, Long> rowsByBatch, Set<String> held) {
    /** The input's batches the output lacks: this run scores them. */
    public Set<String> fresh() {
      Set<String> fresh = new TreeSet<>(rowsByBatch.keySet());
      fresh.removeAll(held);
      return fresh;
    }

    public long freshRows() {
      return fresh().stream().mapToLong(rowsByBatch::get).sum();
    }

    /** The fresh batches' share of the input's rows, to size the run's tasks. */
    public double freshShare() {
      long all = rowsByBatch.values().stream().mapToLong(Long::longValue).sum();
      return all == 0 ? 0 : (double) freshRows() / all;
    }

    /** Every batch the output holds once this run is done. */
    public List<String> batchesAfter() {
      Set<String> after = new TreeSet<>(held);
      after.addAll(rowsByBatch.keySet());
      return List.copyOf(after);
    }

    /** The input rows of every batch the output holds once this run is done. */
    public long rowsAfter() {
      return batchesAfter().stream().mapToLong(b -> rowsByBatch.getOrDefault(b, 0L)).sum();
    }
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
    try {
      fs.delete(out.child(OutputDirectory.SUCCESS), false);
      fs.delete(out.child("_temporary"), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + out.path(), e);
    }
    tables.forEach(table -> removeBatchesNotIn(table, batchColumn, listed, conf));
  }

  /**
   * Deletes every {@code split=S/<batchColumn>=B} directory of {@code table} whose batch B is not
   * in {@code listed}: what an interrupted append leaves before its manifest lists the batch.
   */
  public static void removeBatchesNotIn(Path table, String batchColumn, Set<String> listed,
      Configuration conf) {
    FileSystem fs = HadoopFiles.fs(table, conf);
    String prefix = batchColumn + "=";
    try {
      if (!fs.exists(table)) {
        return;
      }
      for (FileStatus split : fs.listStatus(table, p -> p.getName().startsWith("split="))) {
        for (FileStatus batch : fs.listStatus(split.getPath(),
            p -> p.getName().startsWith(prefix))) {
          if (!listed.contains(batch.getPath().getName().substring(prefix.length()))) {
            LOG.warn("removing {}: left by an interrupted run", batch.getPath());
            fs.delete(batch.getPath(), true);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + table, e);
    }
  }
}
