package dev.sparkdistill.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.jobs.Launcher;
import dev.sparkdistill.jobs.Launcher.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the shaded application jar the way a user does, through {@code submit/distill} as a
 * separate process: its exit codes and one-line failures, the options it hands to
 * spark-submit, and infer and train on separate executor JVMs ({@code local-cluster}) on the
 * Fashion-MNIST slice of the test resources. {@link StageFaultsIT} runs the real 70,000 images.
 */
class DistillLauncherIT {
  private static final Path PROJECT = Launcher.PROJECT;

  @TempDir
  Path tmp;

  private Result distill(String... args) throws IOException, InterruptedException {
    return Launcher.run(tmp, java.util.Map.of(), args);
  }

  @Test
  void exitsOneWithAOneLineCauseWhenTheJobFails() throws Exception {
    Result result = distill("prepare", "--config",
        PROJECT.resolve("conf/fashion-mnist.conf").toString(),
        "--set", "prepare.input.train=/nonexistent/train-images-idx3-ubyte.gz",
        "--set", "prepare.output=" + tmp.resolve("examples"));
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.lastErrLine()).isEqualTo("distill prepare failed: prepare.input.train = "
        + "/nonexistent/train-images-idx3-ubyte.gz does not exist. Fashion-MNIST is packaged by"
        + " Debian: sudo apt-get install dataset-fashion-mnist");
  }

  @Test
  void theDailyPipelineTakesTheSchedulersDateIntoEveryStep() throws Exception {
    Result result = Launcher.run(PROJECT, java.util.Map.of(), "run", "--config",
        "conf/fashion-mnist-daily.conf", "--set", "batch=2026-11-30", "--print-config");
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout())
        .contains("\"batch\":\"2026-11-30\"")
        .contains("\"train\":\"data/fashion-mnist-daily/incoming/2026-11-30/train\"")
        .contains("\"batch-column\":\"batch\"");
    Result badDate = Launcher.run(PROJECT, java.util.Map.of(), "run", "--config",
        "conf/fashion-mnist-daily.conf", "--set", "batch=2026-02-30", "--print-config");
    assertThat(badDate.exitCode()).isEqualTo(1);
    assertThat(badDate.lastErrLine()).isEqualTo("distill run failed: batch must be a real date "
        + "(yyyy-mm-dd), got '2026-02-30'");
  }

  @Test
  void exitsTwoOnBadUsage() throws Exception {
    Result result = distill("prepair");
    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr()).contains("Unmatched argument at index 0: 'prepair'");
  }

  @Test
  void passesOptionsAfterTheDoubleDashToSparkSubmit() throws Exception {
    Result result = distill("--version", "--", "--conf", "spark.ui.enabled=false");
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout()).startsWith("distill 0.").contains("(Spark 3.5.9)");
    Result bad = distill("--version", "--", "--not-a-spark-option");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.stderr()).contains("--not-a-spark-option");
  }

  @Test
  void exportsScoresAndDistilsOnSeparateExecutorJvms() throws Exception {
    Path examples = tmp.resolve("examples");
    Result prepared = prepareSlice(examples);
    assertThat(prepared.exitCode()).as(prepared.stderr()).isZero();
    assertThat(prepared.stderr()).contains("tasks ran in the driver JVM");

    // The teacher on the embedded Spark; everything after it on two executor JVMs of one core
    // each, started by Spark from the assembled jars.
    String[] cluster = {"--", "--master", "local-cluster[2,1,1024]"};
    Path teacher = tmp.resolve("teacher");
    Result trained = distill("train", "--set", "train.input=" + examples, "--set",
        "train.output=" + teacher, "--set", "train.alpha=0", "--set", "train.epochs=2",
        "--set", "train.model.kind=cnn", "--set", "train.model.conv-channels=[4]",
        "--set", "train.model.hidden=[16]");
    assertThat(trained.exitCode()).as(trained.stderr()).isZero();
    assertThat(teacher.resolve("_SUCCESS")).exists();

    Path onnx = tmp.resolve("teacher.onnx");
    Result exported = distill("export", "--format", "onnx", "--model",
        teacher.resolve("model.zip").toString(), "--output", onnx.toString());
    assertThat(exported.exitCode()).as(exported.stderr()).isZero();
    assertThat(exported.stdout()).startsWith("exported ").contains("max abs diff of logits");

    // ONNX Runtime's natives and the relocated protobuf, loaded in executor JVMs, scoring two
    // augmented views per image, which the student then replays.
    Path targets = tmp.resolve("targets");
    Result scored = distill(concat(new String[] {"infer", "--set", "infer.input=" + examples,
        "--set", "infer.output=" + targets, "--set", "infer.teachers=[\"" + onnx + "\"]",
        "--set", "infer.views=2", "--set", "infer.augment.translate=2"}, cluster));
    assertThat(scored.exitCode()).as(scored.stderr()).isZero();
    assertThat(scored.stderr()).contains("2 executor JVM(s) besides the driver");
    TargetsManifest manifest = ManifestJson.read(Files.readString(
        targets.resolve("_manifest.json")), TargetsManifest.class, "_manifest.json");
    assertThat(manifest.rows().scored()).isEqualTo(manifest.rows().input()).isEqualTo(400);
    assertThat(manifest.viewCount()).isEqualTo(2);
    assertThat(manifest.teachers().get(0).path()).isEqualTo(onnx.toString());

    Path student = tmp.resolve("student");
    Result distilled = distill(concat(new String[] {"train", "--set", "train.input=" + targets,
        "--set", "train.output=" + student, "--set", "train.alpha=0.7", "--set",
        "train.epochs=1", "--set", "train.model.hidden=[16]"}, cluster));
    assertThat(distilled.exitCode()).as(distilled.stderr()).isZero();
    assertThat(distilled.stderr()).contains("replaying the 2 views per row the teachers scored")
        .contains("2 executor JVM(s) besides the driver");
    // Each executor names the native build it loaded from the application jar.
    assertThat(executorLogs(distilled.stderr())).containsPattern(
        "ND4J backend CPU, build linux-x86_64(-onednn-avx2 \\(oneDNN on\\)| \\(oneDNN off\\))"
            + " \\(BLAS ");
    assertThat(student.resolve("_SUCCESS")).exists();
  }

  /** The executors' stderr of the application the driver log names, from the worker's folder. */
  private static String executorLogs(String driverLog) throws IOException {
    java.util.regex.Matcher app = java.util.regex.Pattern.compile("app-\\d{14}-\\d{4}")
        .matcher(driverLog);
    assertThat(app.find()).as("the driver log names its application").isTrue();
    Path work = PROJECT.resolve("submit/target/spark/work").resolve(app.group());
    StringBuilder logs = new StringBuilder();
    try (java.util.stream.Stream<Path> files = Files.walk(work)) {
      for (Path log : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
        logs.append(Files.readString(log));
      }
    }
    return logs.toString();
  }

  /** The Fashion-MNIST slice of the test resources (400 images) prepared by the launcher. */
  private Result prepareSlice(Path output) throws IOException, InterruptedException {
    Path slice = PROJECT.resolve("jobs/src/test/resources/fashion-mnist-slice");
    return distill("prepare", "--config", PROJECT.resolve("conf/fashion-mnist.conf").toString(),
        "--set", "prepare.output=" + output,
        "--set", "prepare.input.train=" + slice.resolve("train-images-idx3-ubyte.gz"),
        "--set", "prepare.idx.train-labels=" + slice.resolve("train-labels-idx1-ubyte.gz"),
        "--set", "prepare.input.test=" + slice.resolve("t10k-images-idx3-ubyte.gz"),
        "--set", "prepare.idx.test-labels=" + slice.resolve("t10k-labels-idx1-ubyte.gz"));
  }

  private static String[] concat(String[] first, String[] second) {
    String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, all, first.length, second.length);
    return all;
  }
}
