package dev.sparkdistill.jobs.train;

import java.util.Locale;
import dev.sparkdistill.jobs.runtime.ProgressClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of one worker through its share of an epoch, in the log of the JVM running it: a line
 * every half minute with rows, rows/s and the time left at that rate. A long epoch (a CNN on a
 * large table) shows that it moves, and a slow worker shows as the one behind.
 */
final class EpochProgress {
  private static final Logger LOG = LoggerFactory.getLogger(EpochProgress.class);

  private final int epoch;
  private final int worker;
  private final long total;
  private final ProgressClock clock = new ProgressClock();
  private long rows;

  EpochProgress(int epoch, int worker, long total) {
    this.epoch = epoch;
    this.worker = worker;
    this.total = total;
  }

  void fitted(long count) {
    rows += count;
    long now = System.nanoTime();
    if (clock.due(now)) {
      LOG.info(line(epoch, worker, rows, total, clock.elapsedNanos(now) / 1e9));
    }
  }

  static String line(int epoch, int worker, long rows, long total, double seconds) {
    double rate = rows / Math.max(seconds, 1e-9);
    return String.format(Locale.ROOT, "epoch %d, worker %d: %,d of %,d rows in %.0f s (%.0f "
        + "rows/s), about %.0f s left", epoch, worker, rows, total, seconds, rate,
        rate == 0 ? Double.NaN : (total - rows) / rate);
  }
}
