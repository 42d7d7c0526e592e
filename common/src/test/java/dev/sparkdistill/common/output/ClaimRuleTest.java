package dev.sparkdistill.common.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClaimRuleTest {
  private static final Instant NOW = Instant.parse("2026-11-28T10:10:00Z");
  private static final ClaimHolder HOLDER = new ClaimHolder(
      "3f2a1c9e-0000-0000-0000-000000000000", "train", "h1", 1234, "", "2026-11-28T10:00:00Z");

  @Test
  void aLiveHolderOnThisHostKeepsARecentClaim() {
    assertThat(ClaimRule.givenUp(Optional.of(HOLDER), NOW.minusSeconds(10), NOW, "h1",
        h -> true)).isEmpty();
  }

  @Test
  void aDeadHolderOnThisHostGivesUpAtOnce() {
    assertThat(ClaimRule.givenUp(Optional.of(HOLDER), NOW.minusSeconds(1), NOW, "h1",
        h -> false)).contains("run 3f2a1c9e (distill train, pid 1234 on host h1, started "
        + "2026-11-28T10:00:00Z) is no longer running");
  }

  @Test
  void aHolderOnAnotherHostIsNotJudgedByTheLocalProcessTable() {
    assertThat(ClaimRule.givenUp(Optional.of(HOLDER), NOW.minusSeconds(60), NOW, "h2",
        h -> false)).isEmpty();
  }

  @Test
  void aClaimNotRenewedForTwoMinutesExpires() {
    assertThat(ClaimRule.givenUp(Optional.of(HOLDER), NOW.minusSeconds(121), NOW, "h2",
        h -> true)).contains("run 3f2a1c9e (distill train, pid 1234 on host h1, started "
        + "2026-11-28T10:00:00Z) was last renewed 121 s ago (expires after 120 s)");
    assertThat(ClaimRule.givenUp(Optional.empty(), NOW.minusSeconds(121), NOW, "h2",
        h -> true)).contains("an unreadable claim was last renewed 121 s ago (expires after "
        + "120 s)");
    assertThat(ClaimRule.givenUp(Optional.empty(), NOW.minusSeconds(119), NOW, "h2",
        h -> true)).isEmpty();
  }

  @Test
  void thisJvmRunsHereAndADeadPidDoesNot() {
    ClaimHolder self = ClaimHolder.ofThisProcess("train", NOW);
    assertThat(ClaimRule.runsHere(self)).isTrue();
    assertThat(ClaimRule.runsHere(new ClaimHolder("x", "train", self.host(), self.pid(),
        "1999-01-01T00:00:00Z", NOW.toString()))).as("same pid, other start time").isFalse();
  }
}
