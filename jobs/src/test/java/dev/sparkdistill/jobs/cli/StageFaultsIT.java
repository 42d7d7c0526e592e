package dev.sparkdistill.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on the stages the other launcher tests do not kill, through {@code submit/distill} on
 * the real Fashion-MNIST with separate executor JVMs: an executor killed (SIGKILL) while
 * {@code train} averages. The killed run leaves nothing that looks complete and says why, and
 * {@code --resume} completes.
 */
class StageFaultsIT {
  private static final Path PROJECT = Launcher.PROJECT;
  private static final Path DATASET = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir
  Path tmp;

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
  void trainFailsClearlyOrRetriesWhenAnExecutorIsKilledAndResumeCompletes() throws Exception {
    Path examples = tmp.resolve("examples");
    assertThat(distill(prepare(examples)).exitCode()).isZero();
    Path model = tmp.resolve("model");
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
}
