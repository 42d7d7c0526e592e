package dev.sparkdistill.jobs.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.output.ClaimHolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Claims on the local file system; no Spark. */
class OutputClaimTest {
  private final Configuration conf = new Configuration();

  @TempDir
  Path tmp;

  private OutputDirectory output() {
    return new OutputDirectory(tmp.resolve("model").toString(), conf);
  }

  private Path claimFile() {
    return tmp.resolve(".model.claim");
  }

  @Test
  void aSecondRunRefusesWhileTheFirstHoldsTheClaimAndMayStartOnceItIsReleased() {
    try (OutputClaim first = output().claim("train")) {
      assertThat(claimFile()).exists();
      // Its last renewal 40 s ago, as the store keeps it: the age comes from the store's times.
      assertThat(claimFile().toFile().setLastModified(System.currentTimeMillis() - 40_000))
          .isTrue();
      assertThatThrownBy(() -> output().claim("train"))
          .isInstanceOf(DistillException.class)
          .hasMessageStartingWith("output " + tmp.resolve("model") + " is being written by "
              + "another run, run ")
          .hasMessageContaining("(distill train, pid " + ProcessHandle.current().pid())
          .hasMessageContaining("; its claim " + claimFile() + " was renewed ")
          .hasMessageContaining(" s ago; wait for that run to end, or, if it is gone, let the "
              + "claim expire (120 s after its last renewal) or delete it")
          .hasMessageMatching("(?s).* was renewed 4\\d s ago; .*");
    }
    assertThat(claimFile()).doesNotExist();
    output().claim("train").close();
  }

  @Test
  void takesOverAtOnceTheClaimOfAProcessOfThisHostThatIsGone() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    write(new ClaimHolder("dead-run", "train", ClaimHolder.thisHost(), gone.pid(), "",
        Instant.now().toString()));
    try (OutputClaim claim = output().claim("train")) {
      assertThat(Files.readString(claimFile())).doesNotContain("dead-run");
    }
  }

  @Test
  void refusesWhileAnotherLiveProcessOfThisHostHoldsTheClaim() throws Exception {
    Process alive = new ProcessBuilder("sleep", "60").start();
    try {
      write(new ClaimHolder("live-run", "train", ClaimHolder.thisHost(), alive.pid(),
          alive.info().startInstant().map(Instant::toString).orElse(""),
          Instant.now().toString()));
      assertThatThrownBy(() -> output().claim("train"))
          .hasMessageContaining("another run, run live-run (distill train, pid " + alive.pid());
      alive.destroyForcibly().waitFor();
      output().claim("train").close();
    } finally {
      alive.destroyForcibly();
    }
  }

  @Test
  void waitsForAClaimOfAnotherHostUntilItExpires() throws Exception {
    write(new ClaimHolder("remote-run", "train", "another-host", 1, "",
        Instant.now().toString()));
    assertThatThrownBy(() -> output().claim("train"))
        .hasMessageContaining("another run, run remote-r (distill train, pid 1 on host "
            + "another-host");
    assertThat(claimFile().toFile().setLastModified(System.currentTimeMillis() - 121_000))
        .isTrue();
    output().claim("train").close();
  }

  @Test
  void refusesToMarkCompleteOnceAnotherRunHasTakenTheClaim() throws Exception {
    OutputDirectory out = output();
    try (OutputClaim claim = out.claim("train")) {
      write(new ClaimHolder("usurper", "train", "another-host", 1, "",
          Instant.now().toString()));
      assertThatThrownBy(() -> out.markComplete(java.util.Map.of()))
          .hasMessage("output " + tmp.resolve("model") + " was claimed by another run while "
              + "this one wrote it (claim " + claimFile() + "); not marking it complete");
    }
    assertThat(claimFile()).as("another run's claim stays").exists();
    assertThat(tmp.resolve("model/_SUCCESS")).doesNotExist();
  }

  private void write(ClaimHolder holder) throws Exception {
    Files.writeString(claimFile(), ManifestJson.write(holder));
  }
}
