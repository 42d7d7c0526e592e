package dev.sparkdistill.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.jobs.Launcher;
import dev.sparkdistill.jobs.Launcher.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the shaded application jar the way a user does: {@code submit/distill prepare} (the
 * demo's first step) on the embedded Spark, as a separate process, on the real Fashion-MNIST
 * from Debian's dataset-fashion-mnist (which mvn -B verify installs when it may).
 */
class DistillLauncherIT {
  private static final Path PROJECT = Launcher.PROJECT;
  private static final Path DATASET = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir
  Path tmp;

  @BeforeAll
  static void datasetIsInstalled() {
    assertThat(DATASET.resolve("train-images-idx3-ubyte.gz"))
        .as("Fashion-MNIST: apt-get install dataset-fashion-mnist (mvn -B verify installs it when it may)").exists();
  }

  private Result distill(String... args) throws IOException, InterruptedException {
    return Launcher.finish(start(args), tmp);
  }

  @Test
  void preparesFashionMnistWithTheReadmeCommandAndSkipsTheRerun() throws Exception {
    Path output = tmp.resolve("examples");
    String conf = PROJECT.resolve("conf/fashion-mnist.conf").toString();
    Result first = distill("prepare", "--config", conf, "--set", "prepare.output=" + output);
    assertThat(first.exitCode()).as(first.stderr()).isZero();
    assertThat(first.stderr()).contains("examples table complete at " + output);

    ExamplesManifest manifest = ManifestJson.read(Files.readString(
        output.resolve("_manifest.json")), ExamplesManifest.class, "_manifest.json");
    assertThat(manifest.rows().bySplit().get("train").total()
        + manifest.rows().bySplit().get("validation").total()).isEqualTo(60_000);
    assertThat(manifest.rows().bySplit().get("validation").total()).isBetween(5_900L, 6_100L);
    assertThat(manifest.rows().bySplit().get("test").total()).isEqualTo(10_000);
    assertThat(manifest.rows().rejected()).isZero();
    assertThat(manifest.classNames()).hasSize(10).startsWith("T-shirt/top");
    assertThat(output.resolve("_SUCCESS")).exists();

    Result again = distill("prepare", "--config", conf, "--set", "prepare.output=" + output);
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(again.stderr()).contains("is already complete for these inputs and this config");
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
  void trainsAndScoresOnSeparateExecutorJvms() throws Exception {
    Path examples = tmp.resolve("examples");
    Result prepared = prepareSlice(examples);
    assertThat(prepared.exitCode()).as(prepared.stderr()).isZero();
    assertThat(prepared.stderr()).contains("tasks ran in the driver JVM");

    // Two executor JVMs of one core each, started by Spark from the assembled jars.
    String[] cluster = {"--", "--master", "local-cluster[2,1,1024]"};
    Path teacher = tmp.resolve("teacher");
    Result trained = distill(concat(new String[] {"train", "--set", "train.input=" + examples,
        "--set", "train.output=" + teacher, "--set", "train.alpha=0", "--set", "train.epochs=2",
        "--set", "train.model.hidden=[16]"}, cluster));
    assertThat(trained.exitCode()).as(trained.stderr()).isZero();
    assertThat(trained.stderr()).contains("2 executor JVM(s) besides the driver");
    // Each executor names the native build it loaded from the application jar.
    assertThat(executorLogs(trained.stderr())).containsPattern(
        "ND4J backend CPU, build linux-x86_64(-onednn-avx2 \\(oneDNN on\\)| \\(oneDNN off\\))"
            + " \\(BLAS ");
    assertThat(teacher.resolve("_SUCCESS")).exists();

    // Scored with two augmented views per image, which the student then replays.
    Path targets = tmp.resolve("targets");
    Result scored = distill(concat(new String[] {"infer", "--set", "infer.input=" + examples,
        "--set", "infer.output=" + targets,
        "--set", "infer.teachers=[\"" + teacher.resolve("model.zip") + "\"]",
        "--set", "infer.views=2", "--set", "infer.augment.translate=2"}, cluster));
    assertThat(scored.exitCode()).as(scored.stderr()).isZero();
    assertThat(scored.stderr()).contains("2 executor JVM(s) besides the driver");
    TargetsManifest manifest = ManifestJson.read(Files.readString(
        targets.resolve("_manifest.json")), TargetsManifest.class, "_manifest.json");
    assertThat(manifest.rows().scored()).isEqualTo(manifest.rows().input()).isEqualTo(400);
    assertThat(manifest.viewCount()).isEqualTo(2);

    Path student = tmp.resolve("student");
    Result distilled = distill(concat(new String[] {"train", "--set", "train.input=" + targets,
        "--set", "train.output=" + student, "--set", "train.alpha=0.7", "--set",
        "train.epochs=1", "--set", "train.model.hidden=[16]"}, cluster));
    assertThat(distilled.exitCode()).as(distilled.stderr()).isZero();
    assertThat(distilled.stderr()).contains("replaying the 2 views per row the teachers scored");
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

  @Test
  void exportsATeacherToOnnxAndScoresWithItOnSeparateExecutorJvms() throws Exception {
    Path examples = tmp.resolve("examples");
    assertThat(prepareSlice(examples).exitCode()).isZero();
    Path teacher = tmp.resolve("teacher");
    Result trained = distill("train", "--set", "train.input=" + examples, "--set",
        "train.output=" + teacher, "--set", "train.alpha=0", "--set", "train.epochs=1",
        "--set", "train.model.kind=cnn", "--set", "train.model.conv-channels=[4]",
        "--set", "train.model.hidden=[16]");
    assertThat(trained.exitCode()).as(trained.stderr()).isZero();

    Path onnx = tmp.resolve("teacher.onnx");
    Result exported = distill("export", "--format", "onnx", "--model",
        teacher.resolve("model.zip").toString(), "--output", onnx.toString());
    assertThat(exported.exitCode()).as(exported.stderr()).isZero();
    assertThat(exported.stdout()).startsWith("exported ").contains("max abs diff of logits");

    // ONNX Runtime's natives and the relocated protobuf, loaded in executor JVMs.
    Path targets = tmp.resolve("targets");
    Result scored = distill("infer", "--set", "infer.input=" + examples,
        "--set", "infer.output=" + targets, "--set", "infer.teachers=[\"" + onnx + "\"]",
        "--", "--master", "local-cluster[2,1,1024]");
    assertThat(scored.exitCode()).as(scored.stderr()).isZero();
    assertThat(scored.stderr()).contains("2 executor JVM(s) besides the driver");
    TargetsManifest manifest = ManifestJson.read(Files.readString(
        targets.resolve("_manifest.json")), TargetsManifest.class, "_manifest.json");
    assertThat(manifest.rows().scored()).isEqualTo(400);
    assertThat(manifest.teachers().get(0).path()).isEqualTo(onnx.toString());
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

  @Test
  void infersEveryRowExactlyOnceWhenAnExecutorJvmIsKilledMidJob() throws Exception {
    Path examples = tmp.resolve("examples");
    String conf = PROJECT.resolve("conf/fashion-mnist.conf").toString();
    assertThat(distill("prepare", "--config", conf, "--set", "prepare.output=" + examples)
        .exitCode()).isZero();
    Path small = tmp.resolve("slice");
    assertThat(prepareSlice(small).exitCode()).isZero();
    // A wide teacher, so that scoring 70,000 rows takes long enough to kill an executor in it.
    Path teacher = tmp.resolve("teacher");
    assertThat(distill("train", "--set", "train.input=" + small, "--set",
        "train.output=" + teacher, "--set", "train.alpha=0", "--set", "train.epochs=1",
        "--set", "train.model.hidden=[1024,1024]").exitCode()).isZero();

    Path targets = tmp.resolve("targets");
    Process infer = start("infer", "--set", "infer.input=" + examples, "--set",
        "infer.output=" + targets, "--set", "infer.batch-size=32",
        "--set", "infer.teachers=[\"" + teacher.resolve("model.zip") + "\"]",
        "--", "--master", "local-cluster[2,1,1024]", "--conf", "spark.task.maxFailures=4");
    ProcessHandle executor = executorOnceScoringStarted(infer, targets);
    executor.destroyForcibly();
    assertThat(infer.waitFor(5, TimeUnit.MINUTES)).as("infer finished in 5 minutes").isTrue();
    String stderr = Files.readString(tmp.resolve("stderr.txt"), StandardCharsets.UTF_8);
    assertThat(infer.exitValue()).as(stderr).isZero();
    assertThat(stderr).containsPattern("Lost executor \\d+");

    TargetsManifest manifest = ManifestJson.read(Files.readString(
        targets.resolve("_manifest.json")), TargetsManifest.class, "_manifest.json");
    assertThat(manifest.rows().input()).isEqualTo(70_000);
    assertThat(manifest.rows().scored()).isEqualTo(70_000);
    assertThat(Launcher.distinctIds(targets)).isEqualTo(70_000);
  }

  private Process start(String... args) throws IOException {
    return Launcher.start(tmp, java.util.Map.of(), args);
  }

  /** An executor JVM of the job, once the scoring tasks are writing their output. */
  private static ProcessHandle executorOnceScoringStarted(Process job, Path output)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline && job.isAlive()) {
      if (Files.exists(output.resolve("_temporary"))) {
        List<ProcessHandle> executors = job.descendants().filter(p -> p.info().commandLine()
            .orElse("").contains("CoarseGrainedExecutorBackend")).toList();
        if (!executors.isEmpty()) {
          Thread.sleep(1000); // well inside the tasks, not at their first row
          return executors.get(0);
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the job never started writing with an executor JVM alive");
  }

  @Test
  void resumesFromTheLastCheckpointAfterTheDriverIsKilledDuringTrain() throws Exception {
    Path examples = tmp.resolve("examples");
    assertThat(distill("prepare", "--config",
        PROJECT.resolve("conf/fashion-mnist.conf").toString(), "--set",
        "prepare.output=" + examples).exitCode()).isZero();
    Path model = tmp.resolve("model");
    String[] train = {"train", "--set", "train.input=" + examples, "--set",
        "train.output=" + model, "--set", "train.alpha=0", "--set", "train.epochs=8",
        "--set", "train.model.hidden=[64]"};

    Process first = start(train);
    Path second = model.resolve("checkpoints/epoch-0002.zip");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (!Files.exists(second) && first.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(second).as("a checkpoint of epoch 2 before the driver is killed").exists();
    first.destroyForcibly().waitFor();
    assertThat(model.resolve("_SUCCESS")).as("a killed run is not complete").doesNotExist();
    Path claim = tmp.resolve(".model.claim");
    assertThat(claim).as("the killed driver's claim stays behind").exists();

    // Its process is gone from this host, so its claim does not block the resumed run.
    Result resumed = distill(concat(train, new String[] {"--resume"}));
    assertThat(resumed.exitCode()).as(resumed.stderr()).isZero();
    assertThat(resumed.stderr()).containsPattern("taking over the claim " + claim + " on "
        + model + ": run \\w+ \\(distill train, pid \\d+ on host .*\\) is no longer running");
    assertThat(claim).doesNotExist();
    assertThat(resumed.stderr()).containsPattern("resuming from the checkpoint of epoch [2-7]\\b");
    assertThat(model.resolve("_SUCCESS")).exists();
    List<Integer> epochs = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(model.resolve("training-log.json").toFile()).findValues("epoch").stream()
        .map(com.fasterxml.jackson.databind.JsonNode::asInt).toList();
    assertThat(epochs).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
  }
}
