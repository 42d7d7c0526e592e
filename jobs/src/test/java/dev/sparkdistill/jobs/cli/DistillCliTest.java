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
  @ValueSource(strings = {"prepare", "train", "infer", "evaluate", "predict", "sweep", "run",
      "export"})
  void everyCommandHasHelp(String command) {
    assertThat(distill(command, "--help")).isZero();
    assertThat(out.toString()).startsWith("Usage: distill " + command);
  }

  @Test
  void exitsWithUsageWhenNoCommandIsGiven() {
    assertThat(distill()).isEqualTo(2);
    assertThat(err.toString()).contains("missing command: one of [prepare, train, infer, evaluate, predict, sweep, run, export, benchmark, samples, gpu-check]")
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

  @Test
  void runsAPipelineOfStepsAndResumesBySkippingCompleteOnes() throws Exception {
    Path input = tmp.resolve("train.csv");
    StringBuilder csv = new StringBuilder("label,a,b\n");
    for (int i = 0; i < 40; i++) {
      csv.append(i % 2).append(',').append(i % 2 == 0 ? 1 : -1).append(',').append(i % 7)
          .append('\n');
    }
    Files.writeString(input, csv.toString());
    Path examples = tmp.resolve("examples");
    Path model = tmp.resolve("model");
    Path pipeline = tmp.resolve("pipeline.conf");
    // The second step in the command-line form, which is still read.
    Files.writeString(pipeline, "run.steps = [\n"
        + "  { job = prepare, set { prepare.input.train = \"" + input + "\", prepare.output = \""
        + examples + "\" } }\n  \"train --set train.input=" + examples + " --set train.output="
        + model + " --set train.alpha=0 --set train.epochs=1 --set 'train.model.hidden=[4]'\"\n"
        + "]\n");

    assertThat(distill("run", "--config", pipeline.toString())).as(err.toString()).isZero();
    assertThat(model.resolve("model.zip")).exists();
    assertThat(out.toString()).contains("pipeline complete; wall time per step:")
        .containsPattern("  1\\. prepare +\\d+\\.\\d s  prepare --set prepare.input.train=")
        .containsPattern("  2\\. train +\\d+\\.\\d s  train --set train.input=");
    long written = Files.getLastModifiedTime(model.resolve("model.zip")).toMillis();
    assertThat(distill("run", "--config", pipeline.toString())).isZero();
    assertThat(Files.getLastModifiedTime(model.resolve("model.zip")).toMillis())
        .isEqualTo(written);
  }

  @Test
  void stopsThePipelineAtTheFirstFailingStepWithItsCause() throws Exception {
    Path pipeline = tmp.resolve("pipeline.conf");
    Path missing = tmp.resolve("missing");
    Files.writeString(pipeline, "run.steps = [{ job = train, set { train.input = \"" + missing
        + "\", train.output = \"" + tmp.resolve("m") + "\" } }]");
    assertThat(distill("run", "--config", pipeline.toString())).isEqualTo(1);
    assertThat(err.toString().lines().reduce((a, b) -> b).orElse("")).isEqualTo(
        "distill run failed: pipeline step 1 of 1 (train --set train.input=" + missing
            + " --set train.output=" + tmp.resolve("m") + ") failed: train.input = "
            + missing + " is not a complete examples or targets table (no _manifest.json and "
            + "_SUCCESS); run prepare or infer first");
  }

  @Test
  void everyJobARunStepMayNameRunsFromTheCatalogUnderThatName() {
    // RunConfig (common) lists the names; JobCatalog (jobs) holds the jobs: they must agree.
    for (String name : dev.sparkdistill.common.config.RunConfig.JOBS) {
      assertThat(JobCatalog.named(name).name()).isEqualTo(name);
    }
  }

  @Test
  void checksEveryStepsConfigBeforeTheFirstStepRuns() throws Exception {
    Path input = tmp.resolve("train.csv");
    Files.writeString(input, "label,a\n0,1\n1,2\n");
    Path examples = tmp.resolve("examples");
    Path pipeline = tmp.resolve("pipeline.conf");
    Files.writeString(pipeline, "run.steps = [\n"
        + "  { job = prepare, set { prepare.input.train = \"" + input + "\", prepare.output = \""
        + examples + "\" } }\n"
        + "  { job = train, set { train.input = \"" + examples + "\", train.output = m, "
        + "train.epochs = many } }\n]\n");
    assertThat(distill("run", "--config", pipeline.toString())).isEqualTo(1);
    assertThat(err.toString().lines().reduce((a, b) -> b).orElse("")).startsWith(
        "distill run failed: pipeline step 2 of 2 (train --set train.epochs=many --set "
            + "train.input=" + examples + " --set train.output=m) failed: train.epochs ");
    assertThat(examples).as("the first step never ran").doesNotExist();
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
  void aSweepShowsTheTrainSectionItsStudentsUse() {
    assertThat(distill("sweep", "--set", "sweep.output=grid", "--set", "train.input=targets",
        "--set", "train.epochs=3", "--print-config")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("  sweep.output = \"grid\"\n")
        .contains("  train.epochs = \"3\"\n");
  }

  @Test
  void runsPrepareAndFailsWithTheJobsOneLineCauseFromInsideSparkTasks() throws Exception {
    Path input = tmp.resolve("train.csv");
    Files.writeString(input, "label,a,b\n0,1,2\n1,3,4\n");
    Path output = tmp.resolve("examples");
    assertThat(distill("prepare", "--set", "prepare.input.train=" + input, "--set",
        "prepare.output=" + output, "--set", "prepare.validation-fraction=0")).isZero();
    assertThat(output.resolve("_SUCCESS")).exists();

    // Compressed, so only the task reading the items finds them missing.
    Path images = tmp.resolve("images.idx.gz");
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(images))) {
      out.write(new byte[] {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3});
    }
    assertThat(distill("prepare", "--set", "prepare.format=idx", "--set",
        "prepare.input.train=" + images, "--set", "prepare.output=" + tmp.resolve("idx"),
        "--set", "prepare.class-count=2")).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("distill prepare failed: file " + images
        + " is truncated: its header declares 2 items of 4 bytes, more than the file holds\n");
  }

  @Test
  void anIoFailureSaysWhatTheJobWasDoingBeforeItsRootCause() {
    Throwable failure = new RuntimeException("wrapped", new java.io.UncheckedIOException(
        "cannot write model s3a://b/m/model.zip", new java.io.IOException("upload failed",
            new java.net.ConnectException("Connection refused"))));
    assertThat(DistillCli.oneLineCause(failure))
        .isEqualTo("cannot write model s3a://b/m/model.zip: ConnectException: Connection refused");
    assertThat(DistillCli.oneLineCause(new IllegalStateException("two\nlines")))
        .isEqualTo("IllegalStateException: two");
  }
}
