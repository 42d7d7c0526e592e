package dev.sparkdistill.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.jobs.Launcher;
import dev.sparkdistill.jobs.Launcher.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on the stages the other launcher tests do not kill, through {@code submit/distill} on
 * the real Fashion-MNIST: the driver killed (SIGKILL) while {@code prepare} writes, an
 * executor JVM killed while {@code train} averages on {@code local-cluster}, and the driver
 * killed while {@code infer} writes there. Each killed run leaves nothing that looks complete;
 * the rerun, or {@code --resume}, completes with every row once. Each test's output is the
 * next one's input: the examples, then the model as the teacher.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StageFaultsIT {
  private static final Path PROJECT = Launcher.PROJECT;
  private static final Path DATASET = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir
  Path tmp;

  /** The examples table, written once by the first test's rerun. */
  @TempDir
  static Path shared;

  @BeforeAll
  static void datasetIsInstalled() {
    assertThat(DATASET.resolve("train-images-idx3-ubyte.gz"))
        .as("Fashion-MNIST: apt-get install dataset-fashion-mnist (mvn -B verify installs it "
            + "when it may)").exists();
  }

  private Result distill(String... args) throws IOException, InterruptedException {
    return Launcher.finish(Launcher.start(tmp, Map.of(), args), tmp);
  }

  /** Polls (the job is another process: nothing to latch on) until the condition holds. */
  private static void awaitWhileAlive(Process job, BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!condition.getAsBoolean() && job.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  private String[] prepare(Path output) {
    return new String[] {"prepare", "--config",
        PROJECT.resolve("conf/fashion-mnist.conf").toString(), "--set",
        "prepare.output=" + output};
  }

  @Test
  @Order(1)
  void prepareCompletesWithEveryRowOnceAfterItsDriverIsKilledMidWrite() throws Exception {
    Path examples = shared.resolve("examples");
    Process first = Launcher.start(tmp, Map.of(), prepare(examples));
    awaitWhileAlive(first, () -> Files.exists(examples.resolve("_temporary")),
        "prepare started writing");
    first.destroyForcibly();
    assertThat(first.waitFor(1, TimeUnit.MINUTES)).as("the driver died").isTrue();
    assertThat(examples.resolve("_SUCCESS")).as("a killed run is not complete").doesNotExist();

    long start = System.nanoTime();
    Result rerun = distill(prepare(examples));
    assertThat(rerun.exitCode()).as(rerun.stderr()).isZero();
    assertThat(rerun.stderr()).contains("is no longer running");
    System.out.printf("prepare: driver killed mid-write; the rerun completed in %.1f s%n",
        (System.nanoTime() - start) / 1e9);
    ExamplesManifest manifest = ManifestJson.read(Files.readString(
        examples.resolve("_manifest.json")), ExamplesManifest.class, "_manifest.json");
    assertThat(manifest.rows().input()).isEqualTo(70_000);
    assertThat(manifest.rows().written()).isEqualTo(70_000);
    assertThat(Launcher.distinctIds(examples)).as("every row once").isEqualTo(70_000);
  }

  @Test
  @Order(2)
  void trainFailsClearlyOrRetriesWhenAnExecutorIsKilledAndResumeCompletes() throws Exception {
    Path examples = shared.resolve("examples");
    if (!Files.exists(examples.resolve("_SUCCESS"))) {
      assertThat(distill(prepare(examples)).exitCode()).isZero();
    }
    Path model = shared.resolve("model");
    String[] train = {"train", "--set", "train.input=" + examples, "--set",
        "train.output=" + model, "--set", "train.alpha=0", "--set", "train.epochs=3",
        "--set", "train.model.hidden=[64]", "--", "--master", "local-cluster[2,1,1024]"};

    Process first = Launcher.start(tmp, Map.of(), train);
    Path firstEpoch = model.resolve("checkpoints/epoch-0001.zip");
    awaitWhileAlive(first, () -> Files.exists(firstEpoch), "the first epoch's checkpoint");
    List<ProcessHandle> executors = first.descendants().filter(p -> p.info().commandLine()
        .orElse("").contains("CoarseGrainedExecutorBackend")).toList();
    assertThat(executors).as("executor JVMs of the run").isNotEmpty();
    executors.get(0).destroyForcibly();
    long killed = System.nanoTime();
    Result outcome = Launcher.finish(first, tmp);
    String failure = outcome.stderr().lines().filter(l -> l.startsWith("distill train failed: "))
        .findFirst().orElse("");
    if (outcome.exitCode() != 0) {
      // A barrier epoch cannot go on without the killed worker: the run stops, saying why.
      assertThat(outcome.stderr().lines().filter(l -> l.startsWith("distill train failed: "))
          .toList()).as(outcome.stderr()).singleElement().asString()
          .startsWith("distill train failed: epoch ").contains("Spark: ")
          .endsWith("(continue from the last checkpoint with --resume)");
      assertThat(model.resolve("_SUCCESS")).doesNotExist();
    }
    System.out.printf("train: executor killed; the run %s %.1f s later%s%n",
        outcome.exitCode() == 0 ? "completed" : "failed",
        (System.nanoTime() - killed) / 1e9, failure.isEmpty() ? "" : ": " + failure);

    long resuming = System.nanoTime();
    Result resumed = distill(concat(train, "--resume"));
    assertThat(resumed.exitCode()).as(resumed.stderr()).isZero();
    System.out.printf("train: --resume completed in %.1f s%n",
        (System.nanoTime() - resuming) / 1e9);
    assertThat(model.resolve("_SUCCESS")).exists();
    List<Integer> epochs = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(model.resolve("training-log.json").toFile()).findValues("epoch").stream()
        .map(com.fasterxml.jackson.databind.JsonNode::asInt).toList();
    assertThat(epochs).containsExactly(1, 2, 3);
  }

  /** The train arguments with {@code --resume} before the spark-submit options. */
  private static String[] concat(String[] train, String option) {
    List<String> all = new java.util.ArrayList<>(List.of(train));
    all.add(all.indexOf("--"), option);
    return all.toArray(String[]::new);
  }

  @Test
  @Order(3)
  void inferCompletesWithEveryRowOnceAfterItsDriverIsKilledMidWrite() throws Exception {
    Path examples = shared.resolve("examples");
    Path teacher = shared.resolve("model");
    if (!Files.exists(teacher.resolve("_SUCCESS"))) {
      if (!Files.exists(examples.resolve("_SUCCESS"))) {
        assertThat(distill(prepare(examples)).exitCode()).isZero();
      }
      assertThat(distill("train", "--set", "train.input=" + examples, "--set",
          "train.output=" + teacher, "--set", "train.alpha=0", "--set", "train.epochs=1",
          "--set", "train.model.hidden=[64]").exitCode()).isZero();
    }
    Path targets = tmp.resolve("targets");
    String[] infer = {"infer", "--set", "infer.input=" + examples, "--set",
        "infer.output=" + targets, "--set", "infer.teachers=[\"" + teacher.resolve("model.zip")
        + "\"]", "--", "--master", "local-cluster[2,1,1024]"};

    Process first = Launcher.start(tmp, Map.of(), infer);
    awaitWhileAlive(first, () -> Files.exists(targets.resolve("_temporary")),
        "infer started writing");
    first.destroyForcibly();
    assertThat(first.waitFor(1, TimeUnit.MINUTES)).as("the driver died").isTrue();
    assertThat(targets.resolve("_SUCCESS")).as("a killed run is not complete").doesNotExist();

    long start = System.nanoTime();
    Result rerun = distill(infer);
    assertThat(rerun.exitCode()).as(rerun.stderr()).isZero();
    System.out.printf("infer: driver killed mid-write; the rerun completed in %.1f s%n",
        (System.nanoTime() - start) / 1e9);
    dev.sparkdistill.common.manifest.TargetsManifest manifest = ManifestJson.read(
        Files.readString(targets.resolve("_manifest.json")),
        dev.sparkdistill.common.manifest.TargetsManifest.class, "_manifest.json");
    assertThat(manifest.rows().input()).isEqualTo(70_000);
    assertThat(manifest.rows().scored()).isEqualTo(70_000);
    assertThat(Launcher.distinctIds(targets)).as("every row once").isEqualTo(70_000);
  }
}
