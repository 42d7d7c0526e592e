package dev.sparkdistill.jobs.runtime;

import java.util.concurrent.TimeUnit;

/**
 * When a task's next progress line is due: half a minute after the last one, the first half a
 * minute after the task started. Shared by the scoring and training tasks' progress lines.
 */
public final class ProgressClock {
  private static final long EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final long start = System.nanoTime();
  private long lastLine = start;

  /** Whether a line is due at {@code now}; if so the next one is due half a minute later. */
  public boolean due(long now) {
    if (now - lastLine < EVERY_NANOS) {
      return false;
    }
    lastLine = now;
    return true;
  }

  /** Nanoseconds from the start to {@code now}. */
  public long elapsedNanos(long now) {
    return now - start;
  }
}
