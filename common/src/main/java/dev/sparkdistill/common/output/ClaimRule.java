package dev.sparkdistill.common.output;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * When an existing claim on an output stops blocking a new run. The holder renews its claim
 * every {@link #RENEW_EVERY}; a claim is given up when
 * <ul>
 *   <li>its holder ran on this host and that process is gone (a killed driver: the next run,
 *   {@code --resume} or not, may start at once), or</li>
 *   <li>it was last renewed more than {@link #EXPIRES_AFTER} ago (a holder on another host that
 *   died, or whose claim cannot be read).</li>
 * </ul>
 * Anything else is a live run, and the new run refuses.
 */
public final class ClaimRule {
  public static final Duration RENEW_EVERY = Duration.ofSeconds(30);
  public static final Duration EXPIRES_AFTER = Duration.ofMinutes(2);

  private ClaimRule() {}

  /**
   * Why the claim no longer holds, or empty when it does.
   *
   * @param holder the claim's content; empty when it could not be read
   * @param renewed when the claim file was last written
   * @param localProcessAlive whether a process of this host with the holder's pid and start
   *     time is running
   */
  public static Optional<String> givenUp(Optional<ClaimHolder> holder, Instant renewed,
      Instant now, String thisHost, Predicate<ClaimHolder> localProcessAlive) {
    if (holder.isPresent() && holder.get().host().equals(thisHost)
        && !localProcessAlive.test(holder.get())) {
      return Optional.of(holder.get().describe() + " is no longer running");
    }
    Duration age = Duration.between(renewed, now);
    if (age.compareTo(EXPIRES_AFTER) > 0) {
      return Optional.of(holder.map(ClaimHolder::describe).orElse("an unreadable claim")
          + " was last renewed " + age.toSeconds() + " s ago (expires after "
          + EXPIRES_AFTER.toSeconds() + " s)");
    }
    return Optional.empty();
  }

  /** Whether this host runs the holder's process (same pid and, when known, start time). */
  public static boolean runsHere(ClaimHolder holder) {
    return ProcessHandle.of(holder.pid()).filter(ProcessHandle::isAlive)
        .filter(p -> holder.processStart().isEmpty() || p.info().startInstant()
            .map(start -> start.toString().equals(holder.processStart())).orElse(true))
        .isPresent();
  }
}
