package dev.sparkdistill.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.jobs.Launcher;
import dev.sparkdistill.jobs.Launcher.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The pipeline's stages through {@code submit/distill} on the real Fashion-MNIST, each under the
 * faults an operator meets: the driver killed (SIGKILL) while {@code prepare} writes; an executor
 * JVM killed while {@code train} averages on {@code local-cluster}, then the driver killed while
 * the resumed run trains (on the embedded Spark); the driver killed while {@code infer} writes,
 * then executors killed every few seconds while the rerun scores five times the rows. Each killed run leaves nothing
 * that looks complete; the rerun, or {@code --resume}, completes with every row once. Each test's
 * output is the next one's input (the examples, then the model as the teacher), so the 70,000
 * rows are prepared once for all of them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StageFaultsIT {
  private static final Path PROJECT = Launcher.PROJECT;
  private static final Path DATASET = Path.of("/usr/share/datasets/fashion-mnist");
  private static final String[] CLUSTER = {"--", "--master", "local-cluster[2,1,1024]"};
  private static final int COPIES = 5;

  @TempDir
  Path tmp;

  /** The examples table and the model, written by the first two tests. */
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

  private Process start(String... args) throws IOException {
    return Launcher.start(tmp, Map.of(), args);
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

  /** Epochs whose workers all joined the averaging, from the running driver's log. */
  private long joinedEpochs() {
    try {
      return Files.readString(tmp.resolve("stderr.txt")).lines()
          .filter(line -> line.contains("averaging: all ")).count();
    } catch (IOException e) {
      return 0;
    }
  }

  private static void killDriver(Process job) throws InterruptedException {
    job.destroyForcibly();
    assertThat(job.waitFor(1, TimeUnit.MINUTES)).as("the driver died").isTrue();
  }

  private static List<ProcessHandle> executors(Process job) {
    return job.descendants().filter(p -> p.isAlive() && p.info().commandLine().orElse("")
        .contains("CoarseGrainedExecutorBackend")).toList();
  }

  /** The README's prepare command, writing to {@code output}. */
  private static String[] prepare(Path output) {
    return new String[] {"prepare", "--config",
        PROJECT.resolve("conf/fashion-mnist.conf").toString(), "--set",
        "prepare.output=" + output};
  }

  private Path examples() throws IOException, InterruptedException {
    Path examples = shared.resolve("examples");
    if (!Files.exists(examples.resolve("_SUCCESS"))) {
      assertThat(distill(prepare(examples)).exitCode()).isZero();
    }
    return examples;
  }

  @Test
  @Order(1)
  void prepareCompletesWithEveryRowOnceAfterItsDriverIsKilledAndSkipsTheNextRun()
      throws Exception {
    Path examples = shared.resolve("examples");
    Process first = start(prepare(examples));
    awaitWhileAlive(first, () -> Files.exists(examples.resolve("_temporary")),
        "prepare started writing");
    killDriver(first);
    assertThat(examples.resolve("_SUCCESS")).as("a killed run is not complete").doesNotExist();

    long start = System.nanoTime();
    Result rerun = distill(prepare(examples));
    assertThat(rerun.exitCode()).as(rerun.stderr()).isZero();
    assertThat(rerun.stderr()).contains("is no longer running")
        .contains("examples table complete at " + examples);
    System.out.printf("prepare: driver killed mid-write; the rerun completed in %.1f s%n",
        (System.nanoTime() - start) / 1e9);
    ExamplesManifest manifest = ManifestJson.read(Files.readString(
        examples.resolve("_manifest.json")), ExamplesManifest.class, "_manifest.json");
    assertThat(manifest.rows().input()).isEqualTo(70_000);
    assertThat(manifest.rows().written()).isEqualTo(70_000);
    assertThat(manifest.rows().rejected()).isZero();
    assertThat(manifest.rows().bySplit().get("train").total()
        + manifest.rows().bySplit().get("validation").total()).isEqualTo(60_000);
    assertThat(manifest.rows().bySplit().get("validation").total()).isBetween(5_900L, 6_100L);
    assertThat(manifest.rows().bySplit().get("test").total()).isEqualTo(10_000);
    assertThat(manifest.classNames()).hasSize(10).startsWith("T-shirt/top");
    assertThat(Launcher.distinctIds(examples)).as("every row once").isEqualTo(70_000);

    Result again = distill(prepare(examples));
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(again.stderr()).contains("is already complete for these inputs and this config");
  }

  @Test
  @Order(2)
  void trainFailsClearlyWhenAnExecutorIsKilledAndResumesAfterItsDriverIsKilled()
      throws Exception {
    Path examples = examples();
    Path model = shared.resolve("model");
    String[] train = {"train", "--set", "train.input=" + examples, "--set",
        "train.output=" + model, "--set", "train.alpha=0", "--set", "train.epochs=3",
        "--set", "train.model.hidden=[64]",
        // Large minibatches: epochs of a few seconds, the faults are what is tested here.
        "--set", "train.spark.batch-size-per-worker=512"};

    Process first = start(concat(train, CLUSTER));
    // Killed while the second epoch's workers average: before they start, Spark would only
    // wait for a new executor and run the epoch.
    awaitWhileAlive(first, () -> Files.exists(model.resolve("checkpoints/epoch-0001.zip"))
        && joinedEpochs() >= 2, "the second epoch's workers averaging");
    List<ProcessHandle> executors = executors(first);
    assertThat(executors).as("executor JVMs of the run").isNotEmpty();
    executors.get(0).destroyForcibly();
    long killed = System.nanoTime();
    Result outcome = Launcher.finish(first, tmp);
    // Spark does not rerun a barrier stage that lost an executor: the run stops, saying why
    // and how to go on.
    assertThat(outcome.exitCode()).as(outcome.stderr()).isEqualTo(1);
    assertThat(outcome.stderr().lines().filter(l -> l.startsWith("distill train failed: "))
        .toList()).as(outcome.stderr()).singleElement().asString()
        .startsWith("distill train failed: epoch ").contains("Spark: ")
        .endsWith("(continue from the last checkpoint with --resume)");
    assertThat(model.resolve("_SUCCESS")).doesNotExist();
    System.out.printf("train: executor killed; the run failed %.1f s later%n",
        (System.nanoTime() - killed) / 1e9);

    // The resumed runs on the embedded Spark (2 task threads, so 2 workers as before): a lost
    // driver is the fault here, and the resume is the driver's (its checkpoints and its claim).
    String[] resume = concat(train, new String[] {"--resume"});
    Process second = start(resume);
    awaitWhileAlive(second, () -> Files.exists(model.resolve("checkpoints/epoch-0002.zip")),
        "the resumed run's first checkpoint");
    killDriver(second);
    assertThat(model.resolve("_SUCCESS")).as("a killed run is not complete").doesNotExist();
    Path claim = shared.resolve(".model.claim");
    assertThat(claim).as("the killed driver's claim stays behind").exists();

    // Its process is gone from this host, so its claim does not block the next run.
    long resuming = System.nanoTime();
    Result resumed = distill(resume);
    assertThat(resumed.exitCode()).as(resumed.stderr()).isZero();
    System.out.printf("train: driver killed; --resume completed in %.1f s%n",
        (System.nanoTime() - resuming) / 1e9);
    assertThat(resumed.stderr()).containsPattern("taking over the claim " + claim + " on "
        + model + ": run \\w+ \\(distill train, pid \\d+ on host .*\\) is no longer running");
    assertThat(resumed.stderr()).containsPattern("resuming from the checkpoint of epoch [23]\\b");
    assertThat(claim).doesNotExist();
    assertThat(model.resolve("_SUCCESS")).exists();
    List<Integer> epochs = new ObjectMapper().readTree(model.resolve("training-log.json")
        .toFile()).findValues("epoch").stream().map(JsonNode::asInt).toList();
    assertThat(epochs).containsExactly(1, 2, 3);
  }

  @Test
  @Order(3)
  void inferCompletesEveryRowOnceAfterItsDriverIsKilledAndWhileExecutorsAreKilled()
      throws Exception {
    Path examples = examples();
    Path teacher = shared.resolve("model");
    if (!Files.exists(teacher.resolve("_SUCCESS"))) {
      assertThat(distill("train", "--set", "train.input=" + examples, "--set",
          "train.output=" + teacher, "--set", "train.alpha=0", "--set", "train.epochs=1",
          "--set", "train.model.hidden=[64]").exitCode()).isZero();
    }
    Path copies = tmp.resolve("examples-" + COPIES + "x");
    Launcher.copies(examples, COPIES, copies);
    long rows = 70_000L * COPIES;

    Path targets = tmp.resolve("targets");
    // Small tasks (8 per core of 4 cores' worth), so a killed executor loses a few seconds.
    String[] infer = concat(new String[] {"infer", "--set", "infer.input=" + copies, "--set",
        "infer.output=" + targets, "--set", "infer.include-features=false", "--set",
        "infer.teachers=[\"" + teacher.resolve("model.zip") + "\"]"}, CLUSTER,
        new String[] {"--conf", "spark.default.parallelism=4",
            "--conf", "spark.task.maxFailures=20"});

    Process first = start(infer);
    awaitWhileAlive(first, () -> Files.exists(targets.resolve("_temporary")),
        "infer started writing");
    killDriver(first);
    assertThat(targets.resolve("_SUCCESS")).as("a killed run is not complete").doesNotExist();

    long start = System.nanoTime();
    Process rerun = start(infer);
    awaitWhileAlive(rerun, () -> Files.exists(targets.resolve("_temporary")),
        "the rerun started writing");
    int kills = 0;
    while (rerun.isAlive() && kills < 4) {
      List<ProcessHandle> alive = executors(rerun);
      if (!alive.isEmpty()) {
        alive.get(kills % alive.size()).destroyForcibly();
        kills++;
      }
      rerun.waitFor(3, TimeUnit.SECONDS);
    }
    Result outcome = Launcher.finish(rerun, tmp);
    assertThat(outcome.exitCode()).as(outcome.stderr()).isZero();
    System.out.printf("infer: driver killed mid-write; the rerun of %,d rows, %d executors "
        + "killed 3 s apart, completed in %.1f s%n", rows, kills,
        (System.nanoTime() - start) / 1e9);
    assertThat(kills).as("executors killed while the rerun scored").isGreaterThanOrEqualTo(3);
    assertThat(outcome.stderr()).containsPattern("Lost executor \\d+")
        .contains("is no longer running");
    TargetsManifest manifest = ManifestJson.read(Files.readString(
        targets.resolve("_manifest.json")), TargetsManifest.class, "_manifest.json");
    assertThat(manifest.rows().input()).isEqualTo(rows);
    assertThat(manifest.rows().scored()).isEqualTo(rows);
    assertThat(Launcher.distinctIds(targets)).as("every row once").isEqualTo(rows);
  }

  private static String[] concat(String[]... parts) {
    List<String> all = new ArrayList<>();
    for (String[] part : parts) {
      all.addAll(List.of(part));
    }
    return all.toArray(String[]::new);
  }
}
