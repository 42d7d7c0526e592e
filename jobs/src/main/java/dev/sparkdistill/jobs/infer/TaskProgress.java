package dev.sparkdistill.jobs.infer;

import java.util.Locale;
import dev.sparkdistill.jobs.runtime.ProgressClock;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of one scoring task in the log of the JVM running it: a line every half minute while
 * it scores and one when its partition is done, with rows and rows/s. Uneven tasks, a slow
 * executor or a stuck one show here while the job runs, not only in its final line.
 */
final class TaskProgress {
  private static final Logger LOG = LoggerFactory.getLogger(TaskProgress.class);

  private final ScoringTime time;
  private final ProgressClock clock = new ProgressClock();
  private long rows;
  private long teacherNanos;
  private boolean done;

  TaskProgress(ScoringTime time) {
    this.time = time;
  }

  void scored(int count) {
    rows += count;
    long now = System.nanoTime();
    if (clock.due(now)) {
      log(now, "so far");
    }
  }

  /** Time spent inside the teachers, the rest being reading, converting and writing rows. */
  void inTeachers(long nanos) {
    teacherNanos += nanos;
  }

  void finished() {
    if (!done) {
      done = true;
      long now = System.nanoTime();
      time.add(clock.elapsedNanos(now), teacherNanos);
      log(now, "done");
    }
  }

  private void log(long now, String when) {
    double seconds = Math.max(1e-9, clock.elapsedNanos(now) / 1e9);
    LOG.info(String.format(Locale.ROOT, "partition %d: %,d rows scored in %.1f s, %s (%.0f rows/s, "
        + "%.0f%% of it in the teachers)", TaskContext.getPartitionId(), rows, seconds, when,
        rows / seconds, 100 * teacherNanos / 1e9 / seconds));
  }
}
