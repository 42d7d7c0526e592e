package dev.sparkdistill.jobs.infer;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Where the scoring tasks' time went, summed over every task for the job's last line: the share
 * spent inside the teachers, and how busy the task slots were during the scoring phase. Each
 * task logs its own share; this is the job's, so nobody sums task lines by hand.
 */
final class ScoringTime implements Serializable {
  private final LongAccumulator taskNanos;
  private final LongAccumulator teacherNanos;

  ScoringTime(SparkContext spark) {
    this.taskNanos = spark.longAccumulator("infer: scoring task nanoseconds");
    this.teacherNanos = spark.longAccumulator("infer: nanoseconds inside the teachers");
  }

  /** Called once by each task when its partition is scored. */
  void add(long taskNanos, long teacherNanos) {
    this.taskNanos.add(taskNanos);
    this.teacherNanos.add(teacherNanos);
  }

  /** @param seconds the scoring phase's wall time, on {@code slots} task slots */
  String describe(double seconds, int slots) {
    double taskSeconds = taskNanos.sum() / 1e9;
    return String.format(Locale.ROOT, "tasks spent %.1f%% of their time in the teachers and "
        + "kept the %d task slots %.1f%% busy", 100 * teacherNanos.sum() / 1e9
        / Math.max(taskSeconds, 1e-9), slots, 100 * taskSeconds / (slots * seconds));
  }
}
