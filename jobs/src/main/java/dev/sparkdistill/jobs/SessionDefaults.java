package dev.sparkdistill.jobs;

import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a phase with a SQL setting the job chose for it, unless the user set that key: a value
 * given with {@code --conf} or in spark-defaults.conf always wins. The session's previous state
 * comes back afterwards, so the setting stays with the phase.
 */
public final class SessionDefaults {
  private static final Logger LOG = LoggerFactory.getLogger(SessionDefaults.class);

  private SessionDefaults() {}

  public static void with(SparkSession spark, String key, String value, String why,
      Runnable phase) {
    RuntimeConfig conf = spark.conf();
    if (conf.contains(key)) {
      LOG.info("{} = {} as set, instead of {} ({})", key, conf.get(key), value, why);
      phase.run();
      return;
    }
    LOG.info("{} = {} for this phase: {}", key, value, why);
    conf.set(key, value);
    try {
      phase.run();
    } finally {
      conf.unset(key);
    }
  }
}
