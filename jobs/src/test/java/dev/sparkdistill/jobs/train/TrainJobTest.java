package dev.sparkdistill.jobs.train;

import static dev.sparkdistill.jobs.train.TrainFixtures.config;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InvalidConfigException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TrainingLogEntry;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.bench.TrainBenchmark;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.factory.Nd4j;

/** The train job on local Spark: tiny seeded data, tolerance-based quality bars. */
class TrainJobTest extends SparkTestBase {

  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  private static Path examples;
  private static Path targets;

  @BeforeAll
  static void tables() {
    examples = shared.resolve("examples");
    prepareSlice(examples, false, "prepare.validation-fraction=0.2");
    targets = TrainFixtures.syntheticTargets(spark, shared, 1500, 7);
  }

  /** A copy of the synthetic targets with only the rows kept by filter and logits rewritten. */
  private Path alteredTargets(String name, String filter, String logits) {
    return alteredTargets(name, filter, "label", logits);
  }

  /** The same, with the label rewritten too. */
  private Path alteredTargets(String name, String filter, String label, String logits) {
    Path table = tmp.resolve(name);
    spark.read().parquet(targets.toString()).filter(filter)
        .selectExpr("id", "features", label + " AS label", logits + " AS teacher_logits", "split")
        .write().partitionBy("split").parquet(table.toString());
    TrainFixtures.writeManifest(table, "targets", List.of(TrainFixtures.FEATURES),
        TrainFixtures.CLASSES);
    return table;
  }

  /** {@code base} followed by {@code more}. */
  private static String[] with(String[] base, String... more) {
    return Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(more))
        .toArray(String[]::new);
  }

  private static List<TrainingLogEntry> log(Path output) throws Exception {
    return new ObjectMapper().readValue(output.resolve(TrainJob.LOG_FILE).toFile(),
        new TypeReference<List<TrainingLogEntry>>() {});
  }

  @Test
  void aSecondRunOnTheSameOutputRefusesWhileTheFirstTrainsAndTheFirstCompletes()
      throws Exception {
    Path output = tmp.resolve("model");
    String[] settings = {"train.input=" + examples, "train.output=" + output, "train.alpha=0",
        "train.epochs=4", "train.model.hidden=[16]"};
    // The first run's training phases start only once it holds the claim.
    java.util.concurrent.CountDownLatch training = new java.util.concurrent.CountDownLatch(1);
    org.apache.spark.scheduler.SparkListener listener =
        new org.apache.spark.scheduler.SparkListener() {
          @Override
          public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart job) {
            String description = job.properties() == null ? null
                : job.properties().getProperty("spark.job.description");
            if (description != null && description.startsWith("train:")) {
              training.countDown();
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    java.util.concurrent.CompletableFuture<ModelManifest> first;
    try {
      first = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> new TrainJob(config(settings)).run(spark));
      assertThat(training.await(60, java.util.concurrent.TimeUnit.SECONDS))
          .as("the first run started training").isTrue();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    Path claim = tmp.resolve(".model.claim");
    assertThat(claim).as("the first run's claim").exists();

    assertThatThrownBy(() -> new TrainJob(config(settings)).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("output " + output + " is being written by another run, run ")
        .hasMessageContaining("(distill train, pid ");
    assertThat(first.get().epochs()).isEqualTo(4);
    assertThat(output.resolve("_SUCCESS")).exists();
    assertThat(claim).as("released at the end").doesNotExist();
  }

  @Test
  void trainsATeacherOnHardLabelsWhoseValidationLossFallsAndAccuracyBeatsTheBar()
      throws Exception {
    Path output = tmp.resolve("teacher");
    ModelManifest manifest = new TrainJob(config("train.input=" + examples,
        "train.output=" + output, "train.alpha=0", "train.epochs=6", "train.model.hidden=[64]",
        "train.spark.batch-size-per-worker=16", "train.spark.averaging-frequency=2",
        "train.updater.learning-rate=0.003")).run(spark);

    List<TrainingLogEntry> log = log(output);
    assertThat(log).hasSize(6);
    assertThat(log.get(5).validationLoss()).isLessThan(log.get(0).validationLoss() * 0.9);
    // 240 training images of 10 classes: chance is 0.10.
    assertThat(manifest.best().validationAccuracy()).isGreaterThan(0.5);
    assertThat(manifest.parameterCount()).isEqualTo(784 * 64 + 64 + 64 * 10 + 10);
    assertThat(manifest.classNames()).hasSize(10);
    assertThat(output.resolve("_SUCCESS")).exists();
    assertThat(output.resolve("checkpoints/epoch-0006.zip")).exists();

    MultiLayerNetwork model = ModelSerializer.restoreMultiLayerNetwork(
        output.resolve("model.zip").toFile(), true);
    assertThat(model.output(Nd4j.rand(3, 784)).shape()).containsExactly(3L, 10L);
  }

  @Test
  void trainsABatchNormCnnWithCosineWarmUpWeightDecayAndLabelSmoothingOnTheEnginesSteps()
      throws Exception {
    Path output = tmp.resolve("options");
    ModelManifest manifest = new TrainJob(config("train.input=" + examples,
        "train.output=" + output, "train.alpha=0", "train.epochs=3", "train.model.kind=cnn",
        "train.model.conv-channels=[8, 16]", "train.model.hidden=[32]",
        "train.model.batch-norm=true", "train.updater.learning-rate=0.01",
        "train.updater.schedule=cosine", "train.updater.warmup-epochs=1",
        "train.updater.weight-decay=0.05", "train.label-smoothing=0.1",
        "train.spark.batch-size-per-worker=16", "train.spark.averaging-frequency=2"))
        .run(spark);

    List<TrainingLogEntry> log = log(output);
    assertThat(log.get(2).validationLoss()).isLessThan(log.get(0).validationLoss());
    assertThat(manifest.best().validationAccuracy()).as("chance is 0.10").isGreaterThan(0.5);
    MultiLayerNetwork model = ModelSerializer.restoreMultiLayerNetwork(
        output.resolve("model.zip").toFile(), true);
    var conf = model.getLayerWiseConfigurations();
    var updater = ((org.deeplearning4j.nn.conf.layers.BaseLayer) conf.getConf(0).getLayer())
        .getIUpdater();
    // The schedule counted the steps the engine took: the cosine ends near 0 at the last step.
    int lastStep = conf.getIterationCount() - 1;
    assertThat(updater.getLearningRate(lastStep, 2)).isLessThan(0.01 * 0.02);
    assertThat(updater.getLearningRate(conf.getIterationCount() / 3, 1))
        .as("the peak right after the warm-up").isGreaterThan(0.01 * 0.9);
    assertThat(conf.getConf(0).getLayer().getRegularizationByParam("W")).hasSize(1);
    assertThat(dev.sparkdistill.common.onnx.OnnxExporter.export(model,
        new dev.sparkdistill.common.onnx.OnnxExporter.Description(List.of(1, 28, 28),
            manifest.classNames(), "sha256:test")).getGraph().getNodeList())
        .extracting(node -> node.getOpType()).contains("BatchNormalization");
  }

  @Test
  void trainsOnAugmentedViewsOfTheImagesAndStillLearns() throws Exception {
    String[] common = {"train.input=" + examples, "train.alpha=0", "train.epochs=3",
        "train.model.hidden=[32]", "train.spark.batch-size-per-worker=16",
        "train.updater.learning-rate=0.003"};
    ModelManifest plain = new TrainJob(config(with(common,
        "train.output=" + tmp.resolve("plain")))).run(spark);
    ModelManifest augmented = new TrainJob(config(with(common,
        "train.output=" + tmp.resolve("augmented"), "train.augment.translate=2",
        "train.augment.cutout=6"))).run(spark);

    double plainLoss = log(tmp.resolve("plain")).get(0).trainScore();
    double augmentedLoss = log(tmp.resolve("augmented")).get(0).trainScore();
    assertThat(augmentedLoss).as("the first epoch saw other pixels").isNotEqualTo(plainLoss);
    assertThat(augmented.best().validationAccuracy()).as("chance is 0.10").isGreaterThan(0.5);
    assertThat(plain.best().validationAccuracy()).isGreaterThan(0.5);
  }

  @Test
  void refusesAugmentationOfRowsThatAreNotImages() {
    assertThatThrownBy(() -> new TrainJob(config("train.input=" + targets,
        "train.output=" + tmp.resolve("flat"), "train.alpha=0", "train.augment.flip=true"))
        .run(spark))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.augment needs image-shaped features [channels, height, width], but "
            + "the input's feature shape is [" + TrainFixtures.FEATURES + "]");
    assertThat(tmp.resolve("flat")).doesNotExist();
  }

  @Test
  void withAlphaZeroTrainsOnTheLabeledRowsOnly() throws Exception {
    Path output = tmp.resolve("labeled-only");
    new TrainJob(config("train.input=" + targets, "train.output=" + output, "train.alpha=0",
        "train.epochs=1", "train.model.hidden=[8]")).run(spark);

    long labeled = spark.read().parquet(targets.toString())
        .filter("split = 'train' AND label IS NOT NULL").count();
    long all = spark.read().parquet(targets.toString()).filter("split = 'train'").count();
    assertThat(labeled).isLessThan(all);
    assertThat(log(output).get(0).rows()).isEqualTo(labeled);
  }

  @Test
  void distilsAStudentThatAgreesWithAFixedTeacher() throws Exception {
    Path output = tmp.resolve("student");
    ModelManifest manifest = new TrainJob(config("train.input=" + targets,
        "train.output=" + output, "train.alpha=0.9", "train.temperature=2", "train.epochs=8",
        "train.model.hidden=[32]", "train.spark.batch-size-per-worker=32",
        "train.updater.learning-rate=0.01")).run(spark);

    // The teacher is linear in 12 features over 4 classes; chance agreement is about 0.25.
    assertThat(manifest.best().teacherAgreement()).isGreaterThan(0.85);
    assertThat(log(output).get(0).teacherAgreement())
        .isLessThan(manifest.best().teacherAgreement());
  }

  @Test
  void trainsWithDl4jParameterAveragingBehindTheSameInterface() throws Exception {
    Path output = tmp.resolve("dl4j");
    ModelManifest manifest = new TrainJob(config("train.input=" + targets,
        "train.output=" + output, "train.alpha=0.9", "train.temperature=2", "train.epochs=4",
        "train.model.hidden=[32]", "train.spark.engine=dl4j",
        "train.spark.batch-size-per-worker=32", "train.updater.learning-rate=0.01")).run(spark);
    assertThat(manifest.best().teacherAgreement()).isGreaterThan(0.8);
    assertThat(log(output).get(3).validationLoss()).isLessThan(log(output).get(0).validationLoss());
  }

  @Test
  void resumesFromTheNewestCheckpointAndFinishesThePlannedEpochs() throws Exception {
    Path output = tmp.resolve("resumed");
    String[] settings = {"train.input=" + targets, "train.output=" + output, "train.alpha=0.5",
        "train.epochs=4", "train.model.hidden=[16]", "train.spark.batch-size-per-worker=32"};
    new TrainJob(config(settings)).run(spark);
    List<TrainingLogEntry> full = log(output);
    // What a driver killed during epoch 3 leaves behind: checkpoints 1-2, the log, no markers.
    for (String name : List.of("checkpoints/epoch-0003.zip", "checkpoints/epoch-0004.zip",
        "model.zip", "_SUCCESS", "_manifest.json")) {
      Files.delete(output.resolve(name));
    }

    String[] resume = with(settings, "train.resume=true");
    ModelManifest resumed = new TrainJob(config(resume)).run(spark);

    List<TrainingLogEntry> log = log(output);
    assertThat(log).extracting(TrainingLogEntry::epoch).containsExactly(1, 2, 3, 4);
    assertThat(log.subList(0, 2)).isEqualTo(full.subList(0, 2));
    // The resumed epochs see the rows in the same order as the uninterrupted run did, from the
    // same weights, updater state and learning rate: the same losses, to float rounding.
    for (int epoch = 2; epoch < 4; epoch++) {
      assertThat(log.get(epoch).validationLoss()).as("validation loss of epoch %d", epoch + 1)
          .isCloseTo(full.get(epoch).validationLoss(), org.assertj.core.api.Assertions.within(1e-5));
    }
    assertThat(resumed.epochs()).isEqualTo(4);
    assertThat(output.resolve("_SUCCESS")).exists();
    MultiLayerNetwork model = ModelSerializer.restoreMultiLayerNetwork(
        new File(output.resolve("model.zip").toString()), true);
    assertThat(model.numParams()).isEqualTo(resumed.parameterCount());
  }

  @Test
  void benchmarkPrintsEachEngineAgainstThePlainFit() {
    java.io.StringWriter text = new java.io.StringWriter();
    new TrainBenchmark(config("train.input=" + targets, "train.output=" + tmp.resolve("unused"),
        "train.epochs=1", "train.model.hidden=[8]"), new java.io.PrintWriter(text, true))
        .run(spark, new int[] {1}, List.of(TrainConfig.Engine.BARRIER, TrainConfig.Engine.DL4J));
    assertThat(text.toString())
        .contains("baseline: plain fit, 1 thread (fastest single-JVM fit)")
        .containsPattern("plain fit, 1 thread +[0-9.]+ +1\\.00x +epoch 1 +[0-9.]+ +1\\.00x")
        .containsPattern("barrier engine +[0-9.]+ +[0-9.]+x")
        .containsPattern("dl4j engine +[0-9.]+ +[0-9.]+x");
    assertThat(tmp.resolve("unused")).doesNotExist();
  }

  @Test
  void refusesToResumeCheckpointsWrittenWithAnotherConfig() throws Exception {
    Path output = tmp.resolve("changed");
    new TrainJob(config("train.input=" + targets, "train.output=" + output, "train.epochs=2",
        "train.model.hidden=[8]")).run(spark);
    Files.delete(output.resolve("_SUCCESS"));
    Files.delete(output.resolve("_manifest.json"));

    assertThatThrownBy(() -> new TrainJob(config("train.input=" + targets,
        "train.output=" + output, "train.epochs=2", "train.model.hidden=[8]", "train.alpha=0.9",
        "train.resume=true")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("--resume: the checkpoints in " + output.resolve("checkpoints") + " were written with "
            + "another config or input; resume with the same ones, or use --mode overwrite to "
            + "start again");
  }

  @Test
  void stopsEarlyWhenTheValidationLossStopsImprovingAndKeepsTheBestEpoch() throws Exception {
    Path output = tmp.resolve("early");
    // No later epoch can improve on the first by 100: the run stops after patience epochs.
    ModelManifest manifest = new TrainJob(config("train.input=" + targets,
        "train.output=" + output, "train.epochs=6", "train.model.hidden=[8]",
        "train.early-stopping-patience=2", "train.early-stopping-min-delta=100")).run(spark);
    assertThat(log(output)).hasSize(3);
    assertThat(manifest.epochs()).isEqualTo(3);
    assertThat(manifest.bestEpoch()).isEqualTo(1);
  }

  @Test
  void skipsARerunWhoseModelIsComplete() {
    Path output = tmp.resolve("once");
    String[] settings = {"train.input=" + targets, "train.output=" + output, "train.epochs=1",
        "train.model.hidden=[8]"};
    ModelManifest first = new TrainJob(config(settings)).run(spark);
    assertThat(new TrainJob(config(settings)).run(spark).startedAt()).isEqualTo(first.startedAt());
  }

  @Test
  void refusesDistillationOnATableWithoutTeacherScores() {
    assertThatThrownBy(() -> new TrainJob(config("train.input=" + examples,
        "train.output=" + tmp.resolve("m"), "train.alpha=0.5")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.alpha = 0.5 needs teacher scores, but " + examples + " has none (no "
            + "teacher_logits or topk_* columns); set train.alpha = 0 to train on hard labels, or"
            + " score the examples with infer first");
  }

  /** Each bad targets table: its name, label and logits expressions, the error after its path. */
  static Stream<Arguments> badTables() {
    return Stream.of(
        Arguments.of("short-logits", "label",
            "CASE WHEN id = 'row-7' THEN slice(teacher_logits, 1, 3) ELSE teacher_logits END",
            ": row 'row-7' has 3 teacher logits but the table has 4 classes"),
        Arguments.of("nan-logits", "label",
            "CASE WHEN id = 'row-9' THEN array(float('NaN'), 0f, 0f, 0f) ELSE teacher_logits END",
            ": row 'row-9' has a NaN or infinite teacher logit"),
        Arguments.of("bad-label",
            "CASE WHEN id = 'row-4' THEN 7 ELSE label END", "teacher_logits",
            ": row 'row-4' has label 7 but the table has 4 classes (labels 0 to 3)"),
        Arguments.of("softmaxed", "label",
            "CAST(transform(teacher_logits, x -> exp(x) / aggregate(teacher_logits, 0D, "
                + "(s, y) -> s + exp(y))) AS array<float>)",
            " holds probabilities, not logits: the teacher scores of all 1500 scored rows lie in "
                + "[0, 1] and sum to 1, so the teacher's last layer applies softmax. Score the "
                + "examples with a teacher whose output layer emits logits (identity "
                + "activation); the temperature needs logits"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTables")
  void refusesABadTargetsTableNamingTheRowOrTheCause(String name, String label, String logits,
      String cause) {
    Path table = alteredTargets(name, "true", label, logits);

    assertThatThrownBy(() -> new TrainJob(config("train.input=" + table,
        "train.output=" + tmp.resolve("m"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.input = " + table + cause);
    assertThat(tmp.resolve("m/_SUCCESS")).doesNotExist();
  }

  @Test
  void refusesATableWithAnEmptyTrainSplit() throws Exception {
    Path table = alteredTargets("no-train", "split = 'validation'", "teacher_logits");
    assertThatThrownBy(() -> new TrainJob(config("train.input=" + table,
        "train.output=" + tmp.resolve("m"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.input = " + table + " has no rows in its train split; nothing to "
            + "train on");
  }

  @Test
  void refusesTargetsWhoseExamplesWereWrittenAgainSinceScoring() throws Exception {
    Path copy = tmp.resolve("examples-copy");
    spark.read().parquet(examples.toString()).write().partitionBy("split")
        .parquet(copy.toString());
    Files.copy(examples.resolve("_manifest.json"), copy.resolve("_manifest.json"));
    Files.writeString(copy.resolve("_SUCCESS"), "");
    Path teacher = tmp.resolve("teacher");
    new TrainJob(config("train.input=" + copy, "train.output=" + teacher, "train.alpha=0",
        "train.epochs=1", "train.model.hidden=[8]")).run(spark);
    Path scored = tmp.resolve("scored");
    new dev.sparkdistill.jobs.infer.InferJob(dev.sparkdistill.common.config.InferConfig.from(
        ConfigLayers.resolve(Optional.empty(), "", List.of("infer.input=" + copy,
            "infer.output=" + scored,
            "infer.teachers=[\"" + teacher.resolve("model.zip") + "\"]")))).run(spark);
    // The examples are prepared again: their manifest changes.
    Files.writeString(copy.resolve("_manifest.json"),
        Files.readString(copy.resolve("_manifest.json")).replace("\"seed\" : 42",
            "\"seed\" : 43"));

    assertThatThrownBy(() -> new TrainJob(config("train.input=" + scored,
        "train.output=" + tmp.resolve("m"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("train.input = " + scored + " was scored from the examples at "
            + copy + ", which have been written again since (manifest digest sha256:")
        .hasMessageEndingWith("); run infer again");
  }

  @Test
  void refusesAnInputThatIsNotACompleteTable() {
    Path missing = tmp.resolve("nothing");
    assertThatThrownBy(() -> new TrainJob(config("train.input=" + missing,
        "train.output=" + tmp.resolve("m"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.input = " + missing + " is not a complete examples or targets table "
            + "(no _manifest.json and _SUCCESS); run prepare or infer first");
  }

  @Test
  void refusesAnInitialModelWithTheWrongNumberOfOutputs() {
    Path teacher = tmp.resolve("ten-classes");
    new TrainJob(config("train.input=" + examples, "train.output=" + teacher, "train.alpha=0",
        "train.epochs=1", "train.model.hidden=[8]")).run(spark);
    assertThatThrownBy(() -> new TrainJob(config("train.input=" + targets,
        "train.output=" + tmp.resolve("m"),
        "train.model.init-from=" + teacher.resolve("model.zip"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.model.init-from = " + teacher.resolve("model.zip") + " has 10 outputs "
            + "but the input has 4 classes");
  }

  @Test
  void refusesAnInitialModelWhoseOutputLayerAppliesSoftmax() throws Exception {
    MultiLayerNetwork softmax = new MultiLayerNetwork(
        new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().list()
            .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder()
                .nIn(TrainFixtures.FEATURES).nOut(8).build())
            .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder()
                .nIn(8).nOut(TrainFixtures.CLASSES)
                .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
            .build());
    softmax.init();
    Path file = tmp.resolve("softmax.zip");
    ModelSerializer.writeModel(softmax, file.toFile(), false);

    assertThatThrownBy(() -> new TrainJob(config("train.input=" + targets,
        "train.output=" + tmp.resolve("m"), "train.model.init-from=" + file)).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.model.init-from = " + file + " ends in an output layer with softmax "
            + "activation; training needs one that emits logits (identity activation), as the "
            + "models of train do");
  }

  @Test
  void trainsAsWellOnATableSortedByLabelAsOnTheSameRowsShuffled() throws Exception {
    // Sorted and in one file, the rows would pack into single-class minibatches if they were
    // not reordered every epoch.
    Path sortedTable = ordered("sorted", col("label"), col("id"));
    List<Integer> labels = spark.read().parquet(sortedTable.toString()).filter("split = 'train'")
        .select("label").as(org.apache.spark.sql.Encoders.INT()).collectAsList();
    assertThat(labels).isSorted();
    double sorted = bestAccuracy(sortedTable);
    double shuffled = bestAccuracy(ordered("shuffled", expr("hash(id)")));

    assertThat(shuffled).isGreaterThan(0.8);
    assertThat(sorted).as("sorted %s, shuffled %s", sorted, shuffled)
        .isCloseTo(shuffled, org.assertj.core.api.Assertions.within(0.03));
  }

  /** The labeled rows of the synthetic targets, written as one file in the given order. */
  private Path ordered(String name, Column... order) {
    Path table = tmp.resolve(name);
    spark.read().parquet(targets.toString()).filter("label IS NOT NULL")
        .selectExpr("id", "features", "label", "teacher_logits", "split")
        .repartition(1).sortWithinPartitions(Stream.concat(
            Stream.of(col("split")), java.util.Arrays.stream(order))
            .toArray(Column[]::new))
        .write().partitionBy("split").parquet(table.toString());
    TrainFixtures.writeManifest(table, "targets", List.of(TrainFixtures.FEATURES),
        TrainFixtures.CLASSES);
    return table;
  }

  private double bestAccuracy(Path table) {
    return new TrainJob(config("train.input=" + table, "train.output=" + table + "-model",
        "train.alpha=0", "train.epochs=4", "train.model.hidden=[16]",
        "train.spark.batch-size-per-worker=32", "train.spark.averaging-frequency=10",
        "train.updater.learning-rate=0.01")).run(spark)
        .best().validationAccuracy();
  }
}
