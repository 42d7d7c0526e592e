package dev.sparkdistill.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.jobs.SparkTestBase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Exit codes and messages of the distill command line, run in-process. */
class DistillCliTest extends SparkTestBase {
  @TempDir
  Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int distill(String... args) {
    return DistillCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void printsItsVersion() {
    assertThat(distill("--version")).isZero();
    assertThat(out.toString()).startsWith("distill 0.").contains("(Spark 3.5.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"prepare", "train", "infer", "evaluate", "run"})
  void everyCommandHasHelp(String command) {
    assertThat(distill(command, "--help")).isZero();
    assertThat(out.toString()).startsWith("Usage: distill " + command);
  }

  @Test
  void exitsWithUsageWhenNoCommandIsGiven() {
    assertThat(distill()).isEqualTo(2);
    assertThat(err.toString()).contains("missing command: one of [prepare, train, infer, evaluate, benchmark, run]")
        .contains("Usage: distill");
  }

  @Test
  void exitsWithUsageOnAnUnknownCommandOrOption() {
    assertThat(distill("distil")).isEqualTo(2);
    assertThat(err.toString()).contains("Unmatched argument at index 0: 'distil'");
    assertThat(distill("prepare", "--confg", "x.conf")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown options: '--confg', 'x.conf'")
        .contains("Possible solutions: --config");
  }

  @ParameterizedTest
  @ValueSource(strings = {"run"})
  void saysThatACommandIsNotAvailableYet(String command) {
    assertThat(distill(command)).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("distill " + command
        + " is not available in this version yet; see the README for what is.\n");
  }

  @Test
  void failsWithOneLineNamingAMissingConfigFile() {
    Path missing = tmp.resolve("missing.conf");
    assertThat(distill("prepare", "--config", missing.toString())).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("distill prepare failed: file " + missing
        + " does not exist\n");
  }

  @Test
  void failsWithOneLineNamingABadConfigValueBeforeSparkWork() throws Exception {
    Path conf = tmp.resolve("job.conf");
    Files.writeString(conf, "prepare { output = out, input.train = in.csv, validation-fraction = 2 }");
    assertThat(distill("prepare", "--config", conf.toString())).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("distill prepare failed: prepare.validation-fraction "
        + "must be in [0, 1), got 2\n");
  }

  @Test
  void failsWithOneLineOnAnUnknownKeyFromSet() {
    assertThat(distill("prepare", "--set", "prepare.ouput=x")).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("distill prepare failed: unknown configuration key "
        + "'prepare.ouput' (from --set prepare.ouput); did you mean 'prepare.output'?\n");
  }

  @Test
  void printsTheResolvedConfigurationWithoutRunningAJob() throws Exception {
    Path conf = tmp.resolve("job.conf");
    Files.writeString(conf, "prepare { output = out, input.train = in.csv }");
    assertThat(distill("prepare", "--config", conf.toString(), "--set", "prepare.seed=7",
        "--mode", "overwrite", "--print-config")).isZero();
    assertThat(out.toString()).contains("  prepare.output = \"out\"\n")
        .contains("  prepare.seed = \"7\"\n").contains("  prepare.mode = \"overwrite\"\n");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void runsPrepareAndFailsWithTheJobsOneLineCauseFromInsideSparkTasks() throws Exception {
    Path input = tmp.resolve("train.csv");
    Files.writeString(input, "label,a,b\n0,1,2\n1,3,4\n");
    Path output = tmp.resolve("examples");
    assertThat(distill("prepare", "--set", "prepare.input.train=" + input, "--set",
        "prepare.output=" + output, "--set", "prepare.validation-fraction=0")).isZero();
    assertThat(output.resolve("_SUCCESS")).exists();

    Path images = tmp.resolve("images.idx");
    Files.write(images, new byte[] {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3});
    assertThat(distill("prepare", "--set", "prepare.format=idx", "--set",
        "prepare.input.train=" + images, "--set", "prepare.output=" + tmp.resolve("idx"),
        "--set", "prepare.class-count=2")).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("distill prepare failed: file " + images
        + " is truncated: its header declares 2 items of 4 bytes, more than the file holds\n");
  }
}
