package dev.sparkdistill.jobs;

import java.util.List;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a phase with SQL settings the job chose for it, unless the user set a key: a value given
 * with {@code --conf} or in spark-defaults.conf always wins. The session's previous state comes
 * back afterwards, so the settings stay with the phase.
 *
 * <p>Why the shared session is changed at all: the keys jobs set here (the file scan's split
 * size, the Parquet reader's batch rows, the writer's open files) are read by Spark 3.5 from the
 * session's SQL conf when a plan is made, and no reader or writer option overrides them. A
 * {@code newSession()} would have its own conf, but the job's Datasets belong to the session that
 * made them and would all have to be built again in the child.
 */
public final class SessionDefaults {
  private static final Logger LOG = LoggerFactory.getLogger(SessionDefaults.class);

  /** A key, the value the job chooses for it, and why (for the log). */
  public record Setting(String key, String value, String why) {}

  private SessionDefaults() {}

  public static void with(SparkSession spark, List<Setting> settings, Runnable phase) {
    RuntimeConfig conf = spark.conf();
    List<Setting> ours = settings.stream().filter(s -> !conf.contains(s.key())).toList();
    for (Setting setting : settings) {
      if (ours.contains(setting)) {
        LOG.info("{} = {} for this phase: {}", setting.key(), setting.value(), setting.why());
        conf.set(setting.key(), setting.value());
      } else {
        LOG.info("{} = {} as set, instead of {} ({})", setting.key(), conf.get(setting.key()),
            setting.value(), setting.why());
      }
    }
    try {
      phase.run();
    } finally {
      ours.forEach(s -> conf.unset(s.key()));
    }
  }
}
