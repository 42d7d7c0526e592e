package dev.sparkdistill.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.WriteMode;
import dev.sparkdistill.jobs.io.OutputDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The skeleton every job runs in, with a job of a few lines on the local file system: what is
 * checked before the output is touched, when a run is skipped, what a failure leaves, and that
 * what a run held is always released. No Spark: this job does not use its session.
 */
class OutputJobTest {
  @TempDir
  Path tmp;

  /** The manifest of the little job's output: the text it wrote. */
  public record Made(String text) {}

  /** Writes its text to {@code part.txt}; records what the skeleton asked of it. */
  private final class TextJob extends OutputJob<String, Made> {
    final String text;
    final WriteMode mode;
    boolean badInput;
    boolean failWrite;
    boolean nothingNew;
    final List<String> calls = new ArrayList<>();

    TextJob(String text, WriteMode mode) {
      this.text = text;
      this.mode = mode;
    }

    @Override
    protected Output<Made> output() {
      return new Output<>("text", tmp.resolve("out").toString(), mode, Made.class, "text file",
          name -> name.equals("part.txt"));
    }

    @Override
    protected String readInputs(SparkSession spark) {
      calls.add("read");
      if (badInput) {
        throw new DistillException("text.input is not complete");
      }
      return text;
    }

    @Override
    protected boolean sameRun(Made previous, String inputs) {
      return previous.text().equals(inputs);
    }

    @Override
    protected boolean continues(String inputs) {
      return nothingNew;
    }

    @Override
    protected Written<Made> write(Run run, String inputs) {
      calls.add("write");
      if (nothingNew) {
        return Written.unchanged(new Made(inputs));
      }
      try {
        Path dir = out();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("part.txt"), inputs);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (failWrite) {
        throw new IllegalStateException("executor lost");
      }
      return Written.complete(new Made(inputs));
    }

    @Override
    protected String describe(Made manifest) {
      return manifest.text();
    }

    @Override
    protected void release() {
      calls.add("release");
    }

    Made run() {
      return run(null, new Configuration());
    }
  }

  private Path out() {
    return tmp.resolve("out");
  }

  @Test
  void writesDataThenManifestThenSuccessAndSkipsTheSameRun() throws IOException {
    TextJob first = new TextJob("a", WriteMode.REFRESH);
    assertThat(first.run()).isEqualTo(new Made("a"));
    assertThat(first.calls).containsExactly("read", "write", "release");
    assertThat(out().resolve(OutputDirectory.SUCCESS)).exists();
    assertThat(Files.readString(out().resolve(OutputDirectory.MANIFEST))).contains("\"a\"");
    assertThat(Files.list(tmp)).as("the claim is gone with the run").containsExactly(out());

    TextJob again = new TextJob("a", WriteMode.ERROR);
    assertThat(again.run()).isEqualTo(new Made("a"));
    assertThat(again.calls).as("complete for the same inputs: nothing written")
        .containsExactly("read", "release");
  }

  @Test
  void anotherRunsOutputIsRefusedUnderErrorAndReplacedUnderRefresh() throws IOException {
    new TextJob("a", WriteMode.REFRESH).run();

    TextJob refused = new TextJob("b", WriteMode.ERROR);
    assertThatThrownBy(refused::run).isInstanceOf(DistillException.class)
        .hasMessageContaining("holds a complete text file made from other inputs");
    assertThat(refused.calls).containsExactly("read", "release");
    assertThat(Files.readString(out().resolve("part.txt"))).isEqualTo("a");

    new TextJob("b", WriteMode.REFRESH).run();
    assertThat(Files.readString(out().resolve("part.txt"))).isEqualTo("b");
  }

  @Test
  void aBadInputFailsTheRunBeforeTheOutputIsClaimedOrCleared() throws IOException {
    new TextJob("a", WriteMode.REFRESH).run();
    TextJob bad = new TextJob("b", WriteMode.OVERWRITE);
    bad.badInput = true;

    assertThatThrownBy(bad::run).hasMessage("text.input is not complete");
    assertThat(bad.calls).containsExactly("read", "release");
    assertThat(Files.readString(out().resolve("part.txt"))).isEqualTo("a");
    assertThat(out().resolve(OutputDirectory.SUCCESS)).exists();
    assertThat(Files.list(tmp)).containsExactly(out());
  }

  @Test
  void aFailedWriteLeavesNothingThatLooksCompleteAndTheNextRunClearsIt() throws IOException {
    TextJob failing = new TextJob("a", WriteMode.ERROR);
    failing.failWrite = true;

    assertThatThrownBy(failing::run).hasMessage("executor lost");
    assertThat(failing.calls).containsExactly("read", "write", "release");
    assertThat(out().resolve("part.txt")).exists();
    assertThat(out().resolve(OutputDirectory.MANIFEST)).doesNotExist();
    assertThat(out().resolve(OutputDirectory.SUCCESS)).doesNotExist();

    TextJob retry = new TextJob("b", WriteMode.ERROR);
    assertThat(retry.run()).isEqualTo(new Made("b"));
    assertThat(Files.readString(out().resolve("part.txt"))).isEqualTo("b");
  }

  @Test
  void aContinuedOutputWithNothingNewIsNotMarkedAgain() {
    TextJob continued = new TextJob("a", WriteMode.ERROR);
    continued.nothingNew = true;

    assertThat(continued.run()).isEqualTo(new Made("a"));
    assertThat(continued.calls).containsExactly("read", "write", "release");
    assertThat(out().resolve(OutputDirectory.SUCCESS)).doesNotExist();
  }
}
