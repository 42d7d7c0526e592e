package dev.sparkdistill.jobs.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InvalidConfigException;
import dev.sparkdistill.common.config.PredictConfig;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.PredictionsManifest;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The predict job on local Spark: a prepared examples table of generated CSV rows (4 features,
 * 3 named classes, a test split) and a small seeded network whose own outputs are the expected
 * predictions.
 */
class PredictJobTest extends SparkTestBase {
  private static final int FEATURES = 4;
  private static final List<String> CLASSES = List.of("low", "mid", "high");

  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  private static Path examples;
  private static Path modelFile;
  private static MultiLayerNetwork network;
  /** Every examples row by id. */
  private static Map<String, Row> rows;

  @BeforeAll
  static void fixtures() throws IOException {
    Random random = new Random(5);
    Path train = shared.resolve("csv/train.csv");
    Path test = shared.resolve("csv/test.csv");
    Files.createDirectories(train.getParent());
    Files.writeString(train, csv("tr", 120, random));
    Files.writeString(test, csv("te", 40, random));
    examples = shared.resolve("examples");
    new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "prepare.format=csv", "prepare.output=" + examples, "prepare.input.train=" + train,
        "prepare.input.test=" + test, "prepare.csv.id-column=id",
        "prepare.class-names=[low, mid, high]", "prepare.validation-fraction=0.2"))))
        .run(spark);
    rows = new HashMap<>();
    spark.read().parquet(examples.toString()).select("id", "features", "label", "split")
        .collectAsList().forEach(r -> rows.put(r.getString(0), r));
    network = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(8), Activation.TANH,
            0, WeightInit.XAVIER, List.of(), 3, 2, ""), List.of(FEATURES), CLASSES.size(),
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0),
        7);
    modelFile = shared.resolve("model.zip");
    ModelSerializer.writeModel(network, modelFile.toFile(), true);
  }

  /** id,label,f0..f3; every fifth row unlabeled. */
  private static String csv(String prefix, int count, Random random) {
    StringBuilder text = new StringBuilder("id,label,f0,f1,f2,f3\n");
    for (int i = 0; i < count; i++) {
      text.append(prefix).append('-').append(i).append(',')
          .append(i % 5 == 0 ? "" : Integer.toString(random.nextInt(3)));
      for (int j = 0; j < FEATURES; j++) {
        text.append(',').append(Math.round(random.nextGaussian() * 2000) / 1000.0);
      }
      text.append('\n');
    }
    return text.toString();
  }

  private static PredictConfig config(Path input, Path output, String... more) {
    List<String> all = new ArrayList<>(List.of("predict.input=" + input,
        "predict.output=" + output, "predict.model=" + modelFile));
    all.addAll(List.of(more));
    return PredictConfig.from(ConfigLayers.resolve(Optional.empty(), "", all));
  }

  /** The network's own class probabilities for a row. */
  private static double[] probabilities(Row example) {
    List<Float> features = example.getList(1);
    float[] x = new float[FEATURES];
    for (int j = 0; j < FEATURES; j++) {
      x[j] = features.get(j);
    }
    return Ensemble.softmax(network.output(Nd4j.create(new float[][] {x}), false)
        .toFloatMatrix()[0]);
  }

  private static PredictionsManifest manifest(Path output) {
    return ManifestJson.read(read(output.resolve("_manifest.json")), PredictionsManifest.class,
        "_manifest.json");
  }

  @Test
  void predictsEveryRowWithTheModelsTopClassesAndPassesColumnsThrough() throws Exception {
    Path output = tmp.resolve("predictions");
    PredictionsManifest manifest = new PredictJob(config(examples, output, "predict.top-k=2",
        "predict.passthrough=[label]")).run(spark);

    List<Row> predicted = spark.read().parquet(output.toString()).collectAsList();
    assertThat(spark.read().parquet(output.toString()).columns()).containsExactly("id",
        "prediction", "prediction_name", "probability", "top_k", "label", "split");
    assertThat(predicted).hasSize(rows.size());
    assertThat(predicted.stream().map(r -> r.getString(0)).distinct()).hasSize(rows.size());
    for (Row row : predicted) {
      Row example = rows.get(row.getString(0));
      double[] p = probabilities(example);
      int top = Ensemble.argmax(p);
      assertThat(row.getInt(1)).as("prediction of %s", row.getString(0)).isEqualTo(top);
      assertThat(row.getString(2)).isEqualTo(CLASSES.get(top));
      assertThat(row.getDouble(3)).isCloseTo(p[top], within(1e-4));
      List<Row> topK = row.getList(4);
      assertThat(topK).hasSize(2);
      assertThat(topK.get(0).getInt(0)).isEqualTo(top);
      assertThat(topK.get(1).getDouble(2)).isLessThanOrEqualTo(topK.get(0).getDouble(2))
          .isCloseTo(p[topK.get(1).getInt(0)], within(1e-4));
      assertThat(topK.get(1).getString(1)).isEqualTo(CLASSES.get(topK.get(1).getInt(0)));
      assertThat(row.isNullAt(5) ? null : row.getInt(5)).isEqualTo(
          example.isNullAt(2) ? null : example.getInt(2));
      assertThat(row.getString(6)).isEqualTo(example.getString(3));
    }

    Map<String, Long> bySplit = new TreeMap<>();
    rows.values().forEach(r -> bySplit.merge(r.getString(3), 1L, Long::sum));
    assertThat(manifest.rows().bySplit()).isEqualTo(bySplit);
    assertThat(manifest.rows().written()).isEqualTo(rows.size());
    assertThat(manifest.modelSha256()).isEqualTo(ShippedModel.sha256(
        Files.readAllBytes(modelFile)));
    assertThat(manifest.engine()).isEqualTo("onnxruntime");
    assertThat(manifest.classNames()).isEqualTo(CLASSES);
    assertThat(output.resolve("split=test")).isDirectory();
    assertThat(output.resolve("_SUCCESS")).exists();
  }

  @Test
  void writesArraysInTheStandardListLayoutThatOtherParquetReadersRead() throws Exception {
    Path output = tmp.resolve("layout");
    new PredictJob(config(examples, output, "predict.top-k=3")).run(spark);

    MessageType schema = fileSchema(output.resolve("split=test"));
    GroupType topK = schema.getType("top_k").asGroupType();
    // optional group top_k (LIST) { repeated group list { required group element {...} } }
    assertThat(topK.getLogicalTypeAnnotation()).isEqualTo(LogicalTypeAnnotation.listType());
    assertThat(topK.getFieldCount()).isEqualTo(1);
    assertThat(topK.getType(0).getName()).isEqualTo("list");
    assertThat(topK.getType(0).asGroupType().getType(0).getName()).isEqualTo("element");
    assertThat(topK.getType(0).asGroupType().getType(0).asGroupType().getFieldCount())
        .isEqualTo(3);
  }

  private static MessageType fileSchema(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      Path file = files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow();
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
          new org.apache.hadoop.fs.Path(file.toString()),
          new org.apache.hadoop.conf.Configuration()))) {
        return reader.getFooter().getFileMetaData().getSchema();
      }
    }
  }

  @Test
  void aRerunWithTheSameInputModelAndConfigIsANoOp() throws Exception {
    Path output = tmp.resolve("again");
    PredictionsManifest first = new PredictJob(config(examples, output,
        "predict.splits=[test]")).run(spark);
    List<FileTime> before = parquetTimes(output);

    PredictionsManifest second = new PredictJob(config(examples, output,
        "predict.splits=[test]", "predict.batch-size=7")).run(spark);

    assertThat(second.finishedAt()).isEqualTo(first.finishedAt());
    assertThat(parquetTimes(output)).isEqualTo(before);
    assertThat(first.rows().bySplit()).containsOnlyKeys("test");
  }

  @Test
  void incrementalRunsPredictOnlyNewBatchesOnceEach() throws Exception {
    Path table = tmp.resolve("batched");
    Path output = tmp.resolve("batched-predictions");
    writeBatch(table, "2026-11-29", false);
    String[] incremental = {"predict.batch-column=ingest_day"};

    PredictionsManifest day1 = new PredictJob(config(table, output, incremental)).run(spark);
    Map<Path, FileTime> day1Files = parquetFiles(output);
    writeBatch(table, "2026-11-30", true);
    PredictionsManifest day2 = new PredictJob(config(table, output, incremental)).run(spark);
    PredictionsManifest rerun = new PredictJob(config(table, output, incremental)).run(spark);

    assertThat(day1.batches()).containsExactly("2026-11-29");
    assertThat(day2.batches()).containsExactly("2026-11-29", "2026-11-30");
    assertThat(day2.rows().written()).isEqualTo(2L * rows.size());
    assertThat(parquetFiles(output)).as("day 1's files untouched, day 2's added")
        .containsAllEntriesOf(day1Files).hasSizeGreaterThan(day1Files.size());
    assertThat(rerun.finishedAt()).isEqualTo(day2.finishedAt());
    List<Row> predicted = spark.read().parquet(output.toString()).collectAsList();
    assertThat(predicted.stream().map(r -> r.getString(0) + "@" + r.getAs("ingest_day"))
        .distinct()).hasSize(2 * rows.size());
    assertThat(output.resolve("split=train").resolve("ingest_day=2026-11-30")).isDirectory();
  }

  /** The examples rows as one more ingest batch of a table (appended when {@code more}). */
  private static void writeBatch(Path table, String day, boolean more) throws IOException {
    spark.read().parquet(examples.toString())
        .withColumn("ingest_day", org.apache.spark.sql.functions.lit(day))
        .write().mode(more ? "append" : "overwrite").partitionBy("split", "ingest_day")
        .parquet(table.toString());
    Files.copy(examples.resolve("_manifest.json"), table.resolve("_manifest.json"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.copy(examples.resolve("_SUCCESS"), table.resolve("_SUCCESS"),
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** Modification times of the output's data files, in path order. */
  private static List<FileTime> parquetTimes(Path output) throws IOException {
    return List.copyOf(parquetFiles(output).values());
  }

  /** The output's data files and their modification times, in path order. */
  private static Map<Path, FileTime> parquetFiles(Path output) throws IOException {
    Map<Path, FileTime> times = new TreeMap<>();
    try (Stream<Path> files = Files.walk(output)) {
      files.filter(f -> f.toString().endsWith(".parquet")).forEach(f -> {
        try {
          times.put(f, Files.getLastModifiedTime(f));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
    return times;
  }

  @Test
  void refusesColumnsTheInputLacksOrThePredictionsOwnInOneLine() {
    Path output = tmp.resolve("refused");
    assertThatThrownBy(() -> new PredictJob(config(examples, output,
        "predict.passthrough=[customer_id]")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("predict.passthrough names 'customer_id', which is not a column"
            + " of " + examples)
        .hasMessageContaining("[id, features, label");
    assertThat(output.resolve("_SUCCESS")).doesNotExist();

    assertThatThrownBy(() -> config(examples, output, "predict.passthrough=[label, probability]"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("predict.passthrough")
        .hasMessageContaining("other than the predictions' own");
  }

  @Test
  void refusesAnotherModelsPredictionsInTheOutputUnlessOverwriting() throws Exception {
    Path output = tmp.resolve("other-model");
    new PredictJob(config(examples, output, "predict.splits=[test]")).run(spark);
    Path other = tmp.resolve("other.zip");
    MultiLayerNetwork otherNetwork = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP,
            List.of(8), Activation.TANH, 0, WeightInit.XAVIER, List.of(), 3, 2, ""),
        List.of(FEATURES), CLASSES.size(), new DistillationLoss(),
        new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0), 8);
    ModelSerializer.writeModel(otherNetwork, other.toFile(), true);

    assertThatThrownBy(() -> new PredictJob(config(examples, output, "predict.splits=[test]",
        "predict.model=" + other)).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageContaining(output.toString());
    PredictionsManifest replaced = new PredictJob(config(examples, output,
        "predict.splits=[test]", "predict.model=" + other, "predict.mode=overwrite"))
        .run(spark);
    assertThat(replaced.modelSha256()).isEqualTo(ShippedModel.sha256(Files.readAllBytes(other)));
    assertThat(spark.read().parquet(output.toString()).count())
        .isEqualTo(replaced.rows().written());
  }

  @Test
  void refusesAnInputThatIsNotACompleteExamplesTable() {
    assertThatThrownBy(() -> new PredictJob(config(tmp.resolve("missing"),
        tmp.resolve("out"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("predict.input = " + tmp.resolve("missing") + " is not a complete examples "
            + "table (no _manifest.json and _SUCCESS); run prepare first");
  }

  @Test
  void aModelForAnotherFeatureShapeIsRefusedBeforeScoring() throws Exception {
    Path wide = tmp.resolve("wide.zip");
    MultiLayerNetwork wideNetwork = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP,
            List.of(8), Activation.TANH, 0, WeightInit.XAVIER, List.of(), 3, 2, ""),
        List.of(FEATURES + 1), CLASSES.size(), new DistillationLoss(),
        new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0), 7);
    ModelSerializer.writeModel(wideNetwork, wide.toFile(), true);

    assertThatThrownBy(() -> new PredictJob(config(examples, tmp.resolve("wide-out"),
        "predict.model=" + wide)).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageContaining("predict.model =")
        .hasMessageContaining(wide.toString());
    assertThat(Arrays.asList(tmp.toFile().list())).doesNotContain("wide-out");
  }
}
