package dev.sparkdistill.jobs;

import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names each phase of a job for the operator: the Spark UI shows the description on every job
 * the phase runs, and the log gets a start line and an end line with the elapsed time.
 */
public final class SparkPhases {
  private static final Logger LOG = LoggerFactory.getLogger(SparkPhases.class);

  private SparkPhases() {}

  public static <T> T run(SparkSession spark, String description, Supplier<T> phase) {
    spark.sparkContext().setJobDescription(description);
    LOG.info("{} ...", description);
    long start = System.nanoTime();
    try {
      return phase.get();
    } finally {
      LOG.info("{}: done in {}", description, seconds(System.nanoTime() - start));
      spark.sparkContext().setJobDescription(null);
    }
  }

  public static void run(SparkSession spark, String description, Runnable phase) {
    run(spark, description, () -> {
      phase.run();
      return null;
    });
  }

  public static String seconds(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
  }
}
