package dev.sparkdistill.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.train.Augmentation;
import dev.sparkdistill.common.train.Minibatches;
import dev.sparkdistill.common.train.ViewReplay;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.infer.InferJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Consistent views end to end on the Fashion-MNIST slice: {@code infer} scores 4 augmented
 * views of every image with a small CNN teacher (through ONNX Runtime), and {@code train}
 * replays them. The teacher's own DL4J outputs on the views, rendered independently here, are
 * the expected values.
 */
class ViewsReplayTest extends SparkTestBase {
  private static final int VIEWS = 4;
  private static final long SEED = 5;
  private static final Augmentation AUGMENTATION = new Augmentation(2, true, 6);
  private static final List<Integer> SHAPE = List.of(1, 28, 28);
  /** ONNX Runtime against DL4J, as the engine check allows. */
  private static final double LOGIT_TOLERANCE = 1e-4;

  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  private static MultiLayerNetwork teacher;
  private static Path targets;

  @BeforeAll
  static void scoreViews() throws IOException {
    Path examples = prepareSlice(shared.resolve("examples"), true);
    teacher = ModelFactory.create(new ModelSpec(ModelSpec.Kind.CNN, List.of(16),
            Activation.RELU, 0, WeightInit.RELU, List.of(4), 3, 2, ""), SHAPE, 10,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1),
        3);
    Path file = shared.resolve("teacher.zip");
    ModelSerializer.writeModel(teacher, file.toFile(), true);
    targets = shared.resolve("targets");
    new InferJob(InferConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "infer.input=" + examples, "infer.output=" + targets,
        "infer.teachers=[\"" + file + "\"]", "infer.views=" + VIEWS,
        "infer.augment.translate=2", "infer.augment.flip=true", "infer.augment.cutout=6",
        "infer.seed=" + SEED, "infer.batch-size=50")))).run(spark);
  }

  private static float[] logits(float[] pixels) {
    return teacher.output(Nd4j.create(pixels, new long[] {1, pixels.length}, 'c'), false)
        .toFloatVector();
  }

  private static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  @Test
  void inferStoresEachRowsViewsDrawnFromItsIdWithTheTeachersLogitsForExactlyThoseViews()
      throws IOException {
    TargetsManifest manifest = ManifestJson.read(Files.readString(
        targets.resolve("_manifest.json")), TargetsManifest.class, "_manifest.json");
    assertThat(manifest.views()).isEqualTo(new TargetsManifest.Views(VIEWS, 2, true, 6, SEED));
    assertThat(manifest.teachers().get(0).engine()).isEqualTo("onnxruntime");
    assertThat(manifest.rows().scored()).isEqualTo(400);

    // A targets-only table, as infer writes by default: the features are the examples'.
    assertThat(spark.read().parquet(targets.toString()).columns()).doesNotContain("features");
    List<Row> rows = spark.read().parquet(targets.toString())
        .join(spark.read().parquet(manifest.examples()).select("id", "features"), "id")
        .select("id", "features", "teacher_logits", "view_params", "view_logits")
        .orderBy("id").limit(40).collectAsList();
    int rowsWithDistinctViews = 0;
    for (Row row : rows) {
      float[] features = floats(row.getList(1));
      List<Integer> params = row.getList(3);
      float[] viewLogits = floats(row.getList(4));
      assertThat(params).hasSize(VIEWS * Augmentation.VIEW_PARAMETERS);
      assertThat(viewLogits).hasSize(VIEWS * 10);
      assertLogits(floats(row.getList(2)), logits(features), row.getString(0) + " as it is");
      java.util.Set<Augmentation.View> distinct = new java.util.HashSet<>();
      for (int v = 0; v < VIEWS; v++) {
        Augmentation.View drawn = AUGMENTATION.draw(new SplittableRandom(
            Augmentation.exampleViewSeed(SEED, row.getString(0), v)), 28, 28);
        int[] stored = params.stream().mapToInt(Integer::intValue).toArray();
        assertThat(Augmentation.View.stored(stored, v * Augmentation.VIEW_PARAMETERS))
            .isEqualTo(drawn);
        float[] view = new float[features.length];
        AUGMENTATION.render(drawn, SHAPE, features, 0, view, 0);
        assertLogits(java.util.Arrays.copyOfRange(viewLogits, v * 10, v * 10 + 10),
            logits(view), row.getString(0) + " view " + v);
        distinct.add(drawn);
      }
      rowsWithDistinctViews += distinct.size() == VIEWS ? 1 : 0;
    }
    assertThat(rowsWithDistinctViews).isGreaterThan(30);
  }

  private static void assertLogits(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int c = 0; c < expected.length; c++) {
      assertThat(actual[c]).as("%s, class %d", what, c)
          .isCloseTo(expected[c], within((float) LOGIT_TOLERANCE));
    }
  }

  @Test
  void trainingRendersTheViewsTheTeacherScoredAndLearnsFromTheirLogits() {
    TrainingInput input = TrainingInput.open(spark, targets.toString());
    TrainConfig config = TrainFixtures.config("train.input=" + targets, "train.output=unused",
        "train.alpha=0.5");
    ViewReplay replay = input.replay(config);
    assertThat(replay).isEqualTo(new ViewReplay(VIEWS, 10, AUGMENTATION));
    Minibatches packer = new Minibatches(784, 10, new float[10], 1f).keepingViews(replay);
    List<DataSet> held = input.batches(Split.TRAIN, packer, 32, false).collect();
    EpochRows epochRows = new EpochRows(32, 11, Augmentation.NONE, replay, SHAPE);

    int checked = 0;
    for (int epoch : new int[] {1, 2}) {
      for (DataSet batch : epochRows.of(held, epoch, 0)) {
        INDArray scored = teacher.output(batch.getFeatures(), false);
        for (int i = 0; i < batch.numExamples(); i++, checked++) {
          float[] labels = batch.getLabels().getRow(i).toFloatVector();
          assertLogits(java.util.Arrays.copyOfRange(labels, 10, 20),
              scored.getRow(i).toFloatVector(), "epoch " + epoch + ", row " + checked);
        }
      }
    }
    assertThat(checked).isEqualTo(2 * held.stream().mapToInt(DataSet::numExamples).sum())
        .isGreaterThan(400);
    assertThat(epochRows.of(held, 1, 0).get(0).getFeatures())
        .as("another epoch, other views").isNotEqualTo(epochRows.of(held, 2, 0).get(0)
            .getFeatures());
  }

  @Test
  void aStudentLearnsFromTheViewsAndAugmentationOnTopIsRefused() {
    Path student = tmp.resolve("student");
    ModelManifest manifest = new TrainJob(TrainFixtures.config("train.input=" + targets,
        "train.output=" + student, "train.alpha=0.5", "train.epochs=2",
        "train.model.hidden=[16]", "train.spark.batch-size-per-worker=32")).run(spark);
    assertThat(manifest.epochs()).isEqualTo(2);
    assertThat(student.resolve("_SUCCESS")).exists();

    assertThatThrownBy(() -> new TrainJob(TrainFixtures.config("train.input=" + targets,
        "train.output=" + tmp.resolve("augmented"), "train.alpha=0.5",
        "train.augment.translate=1")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.augment is on and train.input = " + targets + " stores 4 "
            + "teacher-scored views per row: the views are the augmentation; turn train.augment "
            + "off to replay them, or set train.replay-views = false to train on the rows and "
            + "their own logits");
    assertThat(TrainingInput.open(spark, targets.toString()).replay(TrainFixtures.config(
        "train.input=" + targets, "train.output=unused", "train.alpha=0.5",
        "train.replay-views=false"))).isEqualTo(ViewReplay.NONE);
  }

  @Test
  void aRowWhoseViewLogitsAreCutShortIsRefusedByName() throws IOException {
    Path altered = tmp.resolve("altered");
    String victim = spark.read().parquet(targets.toString()).filter("split = 'train'")
        .select("id").orderBy("id").first().getString(0);
    spark.read().parquet(targets.toString())
        .selectExpr("id", "label", "teacher_logits", "view_params",
            "CASE WHEN id = '" + victim + "' THEN slice(view_logits, 1, 25) ELSE view_logits END "
                + "AS view_logits", "split")
        .write().partitionBy("split").parquet(altered.toString());
    Files.copy(targets.resolve("_manifest.json"), altered.resolve("_manifest.json"));
    // Spark wrote its own _SUCCESS; the manifest beside it makes the table complete.

    assertThatThrownBy(() -> new TrainJob(TrainFixtures.config("train.input=" + altered,
        "train.output=" + tmp.resolve("student"), "train.alpha=0.5")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.input = " + altered + ": row '" + victim + "' has 25 view logits but "
            + "4 views of 10 classes take 40");
  }
}
