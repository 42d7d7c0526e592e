package dev.sparkdistill.common.targets;

/**
 * How finely {@code infer} splits its input. Spark sizes file splits for scans, by bytes: up to
 * 128 MiB, or one split per core for a small table. Scoring costs far more per byte than a scan,
 * so those splits make tasks of minutes to hours, and a few tasks per core leave cores idle
 * while the last ones run. Many small tasks, largest first as Spark schedules them, end within a
 * few seconds of each other.
 */
public final class ScoringSplits {
  /**
   * Tasks per core when the input is small enough for the cap not to apply. Each task also
   * opens, writes out and commits a Parquet file per split: about 45 ms a task on local disk,
   * measured by writing the same 70,000 scored rows from 22 tasks and from 2. With ONNX Runtime
   * scoring Fashion-MNIST's 70,000 rows in about a second on 2 cores, 8 tasks per core made
   * that a fifth of the job; at 2 the job took 2.5 to 3.0 s against 3.2 to 3.6 s.
   */
  public static final int TASKS_PER_CORE = 2;
  /**
   * Parquet row group of the examples table: Spark can split a file only between row groups, so
   * this bounds how evenly {@code infer} spreads rows over tasks.
   */
  public static final long ROW_GROUP_BYTES = 1L << 20;
  /** The smallest split: one row group. */
  public static final long MIN_SPLIT_BYTES = ROW_GROUP_BYTES;
  /** The largest split, Spark's own default. */
  public static final long MAX_SPLIT_BYTES = 128L << 20;
  /** Spark's own rows per columnar read batch, the most {@link #readerBatchRows} returns. */
  public static final int SPARK_READER_BATCH_ROWS = 4096;
  private ScoringSplits() {}

  /**
   * Rows per batch of Spark's vectorized Parquet reader ({@code
   * spark.sql.parquet.columnarReaderBatchSize}) while scoring: one scoring batch. A task's
   * reader holds every feature value of its batch in one array (and as many Parquet levels),
   * so Spark's 4,096 rows made that array 12.8 MB for 784 features and would make it 2.4 GB
   * for 224x224x3 images, where the teachers take only {@code batchSize} rows at a time.
   *
   * @param batchSize rows the teachers score at once ({@code infer.batch-size})
   */
  public static int readerBatchRows(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("need batchSize >= 1, got " + batchSize);
    }
    return Math.min(SPARK_READER_BATCH_ROWS, batchSize);
  }

  /**
   * The split size for {@code spark.sql.files.maxPartitionBytes}.
   *
   * @param inputBytes bytes of the examples files to score
   * @param cores task slots of the application
   */
  public static long maxPartitionBytes(long inputBytes, int cores) {
    if (inputBytes < 0 || cores < 1) {
      throw new IllegalArgumentException("need inputBytes >= 0 and cores >= 1, got "
          + inputBytes + " and " + cores);
    }
    long perTask = inputBytes / ((long) TASKS_PER_CORE * cores);
    return Math.max(MIN_SPLIT_BYTES, Math.min(MAX_SPLIT_BYTES, perTask));
  }
}
