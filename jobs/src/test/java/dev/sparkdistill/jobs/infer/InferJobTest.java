package dev.sparkdistill.jobs.infer;

import static dev.sparkdistill.jobs.io.ArrayColumns.floats;
import dev.sparkdistill.jobs.model.ShippedModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.common.targets.SoftTargets;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import dev.sparkdistill.jobs.train.TrainJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
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
 * The infer job on local Spark: a prepared examples table of generated CSV rows (4 features, 3
 * classes, some unlabeled training rows, a test split) scored by small untrained teachers made
 * in the test, whose own outputs are the expected values.
 */
class InferJobTest extends SparkTestBase {
  private static final int FEATURES = 4;
  private static final int CLASSES = 3;
  private static final int TRAIN_ROWS = 160;
  private static final int TEST_ROWS = 40;
  private static final double TOLERANCE = 1e-5;

  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  private static Path examples;
  /** Every examples row by id: features, label (null when unlabeled), split. */
  private static Map<String, Row> rows;
  private static MultiLayerNetwork teacherA;
  private static MultiLayerNetwork teacherB;
  private static Path fileA;
  private static Path fileB;

  @BeforeAll
  static void fixtures() throws IOException {
    Random random = new Random(11);
    Path train = shared.resolve("csv/train.csv");
    Path test = shared.resolve("csv/test.csv");
    Files.createDirectories(train.getParent());
    Files.writeString(train, csv("tr", TRAIN_ROWS, random, true));
    Files.writeString(test, csv("te", TEST_ROWS, random, false));
    examples = shared.resolve("examples");
    new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "prepare.format=csv", "prepare.output=" + examples, "prepare.input.train=" + train,
        "prepare.input.test=" + test, "prepare.csv.id-column=id", "prepare.class-count=3",
        "prepare.validation-fraction=0.2")))).run(spark);
    rows = new HashMap<>();
    spark.read().parquet(examples.toString()).select("id", "features", "label", "split")
        .collectAsList().forEach(r -> rows.put(r.getString(0), r));

    teacherA = network(List.of(FEATURES), CLASSES, 1);
    teacherB = network(List.of(FEATURES), CLASSES, 2);
    fileA = save(teacherA, shared.resolve("teachers/a.zip"));
    fileB = save(teacherB, shared.resolve("teachers/b.zip"));
  }

  /** id,label,f0..f3; labels are the argmax of a fixed linear map; every 4th training row unlabeled. */
  private static String csv(String prefix, int count, Random random, boolean someUnlabeled) {
    StringBuilder text = new StringBuilder("id,label,f0,f1,f2,f3\n");
    for (int i = 0; i < count; i++) {
      double[] x = new double[FEATURES];
      for (int j = 0; j < FEATURES; j++) {
        x[j] = Math.round(random.nextGaussian() * 2 * 1000) / 1000.0;
      }
      double[] z = {x[0] - x[1], x[1] + x[2], x[3] - x[0]};
      int label = z[0] >= z[1] && z[0] >= z[2] ? 0 : z[1] >= z[2] ? 1 : 2;
      text.append(prefix).append('-').append(i).append(',')
          .append(someUnlabeled && i % 4 == 0 ? "" : Integer.toString(label));
      for (double v : x) {
        text.append(',').append(v);
      }
      text.append('\n');
    }
    return text.toString();
  }

  private static MultiLayerNetwork network(List<Integer> featureShape, int classes, long seed) {
    return ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(8), Activation.TANH, 0,
            WeightInit.XAVIER, List.of(), 3, 2, ""), featureShape, classes, new DistillationLoss(),
        new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0), seed);
  }

  private static Path save(MultiLayerNetwork network, Path file) {
    try {
      Files.createDirectories(file.getParent());
      ModelSerializer.writeModel(network, file.toFile(), true);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InferConfig config(String... settings) {
    return InferConfig.from(ConfigLayers.resolve(Optional.empty(), "", Arrays.asList(settings)));
  }

  private static String[] settings(Path input, Path output, List<Path> teachers,
      String... more) {
    List<String> all = new ArrayList<>(List.of("infer.input=" + input, "infer.output=" + output,
        "infer.teachers=" + teachers.stream().map(p -> "\"" + p + "\"").toList()));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static TargetsManifest manifest(Path output) {
    return ManifestJson.read(read(output.resolve("_manifest.json")), TargetsManifest.class,
        "_manifest.json");
  }

  /** The network's own logits for every examples row, by id. */
  private static Map<String, float[]> logits(MultiLayerNetwork network) {
    List<String> ids = new ArrayList<>(rows.keySet());
    float[][] x = new float[ids.size()][FEATURES];
    for (int i = 0; i < ids.size(); i++) {
      List<Float> features = rows.get(ids.get(i)).getList(1);
      for (int j = 0; j < FEATURES; j++) {
        x[i][j] = features.get(j);
      }
    }
    float[][] out = network.output(Nd4j.create(x), false).toFloatMatrix();
    Map<String, float[]> byId = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      byId.put(ids.get(i), out[i]);
    }
    return byId;
  }

  private static void assertClose(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int c = 0; c < expected.length; c++) {
      assertThat(actual[c]).as("%s [%d]", what, c).isCloseTo(expected[c], within((float) TOLERANCE));
    }
  }

  private static Map<String, Long> countsBySplit(Dataset<Row> table) {
    return table.groupBy("split").count().collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1), (a, b) -> a,
            TreeMap::new));
  }

  private static String sha256(Path file) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  // ---- dense targets --------------------------------------------------------------------------

  @Test
  void scoresEveryRowOnceIntoDenseTeacherLogitsWithAManifest() throws Exception {
    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA))))
        .run(spark);

    Dataset<Row> table = spark.read().parquet(output.toString());
    assertThat(table.schema().fieldNames())
        .containsExactly("id", "label", "teacher_logits", "split");
    assertThat(table.schema().apply("teacher_logits").dataType().simpleString())
        .isEqualTo("array<float>");
    assertThat(table.count()).isEqualTo(rows.size());
    assertThat(table.select("id").distinct().count()).isEqualTo(rows.size());

    Map<String, float[]> expected = logits(teacherA);
    List<Row> scored = table.collectAsList();
    assertThat(scored.stream().map(r -> r.getString(0)).collect(Collectors.toSet()))
        .isEqualTo(rows.keySet());
    for (Row r : scored) {
      Row source = rows.get(r.getString(0));
      assertThat(r.get(1)).as("label of %s", r.getString(0)).isEqualTo(source.get(2));
      assertThat(r.getString(3)).isEqualTo(source.getString(3));
      assertClose(floats(r.getList(2)), expected.get(r.getString(0)), r.getString(0));
    }

    Map<String, Long> bySplit = countsBySplit(spark.read().parquet(examples.toString()));
    assertThat(bySplit.keySet()).containsExactlyInAnyOrder("train", "validation", "test");
    assertThat(manifest.kind()).isEqualTo("targets");
    assertThat(manifest.schemaVersion()).isEqualTo(TargetsManifest.SCHEMA_VERSION);
    assertThat(manifest.featureShape()).containsExactly(FEATURES);
    assertThat(manifest.featureCount()).isEqualTo(FEATURES);
    assertThat(manifest.classCount()).isEqualTo(CLASSES);
    assertThat(manifest.classNames()).hasSize(CLASSES);
    assertThat(manifest.examples()).isEqualTo(examples.toString());
    assertThat(manifest.examplesManifestDigest()).matches("sha256:[0-9a-f]{64}");
    assertThat(manifest.teachers()).containsExactly(new TargetsManifest.Teacher(
        fileA.toString(), sha256(fileA), teacherA.numParams(), "onnxruntime"));
    assertThat(manifest.teachers().get(0).parameterCount())
        .isEqualTo(FEATURES * 8 + 8 + 8 * CLASSES + CLASSES);
    assertThat(manifest.ensembleRule()).isEqualTo("mean-probabilities");
    assertThat(manifest.form()).isEqualTo("dense");
    assertThat(manifest.includesFeatures()).isFalse();
    assertThat(manifest.rows().input()).isEqualTo(rows.size());
    assertThat(manifest.rows().scored()).isEqualTo(rows.size());
    assertThat(manifest.rows().filtered()).isZero();
    assertThat(manifest.rows().input())
        .isEqualTo(manifest.rows().scored() + manifest.rows().filtered());
    assertThat(manifest.rows().bySplit()).isEqualTo(bySplit);
    assertThat(manifest.configDigest()).matches("sha256:[0-9a-f]{64}");
    assertThat(manifest(output)).isEqualTo(manifest);
    assertThat(output.resolve("_SUCCESS")).exists();
    assertThat(output.resolve(InferJob.FILTERED)).doesNotExist();
  }

  @Test
  void deserializesEachTeacherOncePerExecutorJvmOverManyPartitionsAndBatches() throws Exception {
    // An examples table of many small partitions, scored in batches of 4 rows.
    Path many = tmp.resolve("many-partitions");
    spark.read().parquet(examples.toString()).repartition(8).write().partitionBy("split")
        .parquet(many.toString());
    Files.copy(examples.resolve("_manifest.json"), many.resolve("_manifest.json"));
    Files.copy(examples.resolve("_SUCCESS"), many.resolve("_SUCCESS"),
        StandardCopyOption.REPLACE_EXISTING);
    // Teachers used by no other test, so no earlier run in this JVM has loaded them.
    Path first = save(network(List.of(FEATURES), CLASSES, 9001), tmp.resolve("t1.zip"));
    Path second = save(network(List.of(FEATURES), CLASSES, 9002), tmp.resolve("t2.zip"));
    Path output = tmp.resolve("targets");

    // Small files are otherwise packed into one read partition per core; each file counts as
    // 4 MB (spark.sql.files.openCostInBytes), so 8 MB reads about two files per partition.
    spark.conf().set("spark.sql.files.maxPartitionBytes", "8m");
    TargetsManifest manifest;
    int loads;
    try (dev.sparkdistill.jobs.LogLines loaded = dev.sparkdistill.jobs.LogLines.of(
        ShippedModel.class, ShippedModel.LOADED)) {
      assertThat(spark.read().parquet(many.toString()).rdd().getNumPartitions())
          .isGreaterThanOrEqualTo(8);
      manifest = new InferJob(config(settings(many, output, List.of(first, second),
          "infer.batch-size=4"))).run(spark);
      loads = loaded.count();
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
    }

    assertThat(loads).as("deserializations of 2 teachers")
        .isEqualTo(2);
    assertThat(manifest.rows().scored()).isEqualTo(rows.size());
    assertThat(spark.read().parquet(output.toString()).select("id").distinct().count())
        .isEqualTo(rows.size());
  }

  @Test
  void scoresAWideTableInManySmallTasksAndLeavesTheSessionAsItWas() throws Exception {
    // 3,000 rows of 256 random floats: about 3 MB that no dictionary shrinks.
    int width = 256;
    Random random = new Random(5);
    List<Row> raw = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      Double[] x = new Double[width];
      for (int j = 0; j < width; j++) {
        x[j] = random.nextDouble();
      }
      raw.add(org.apache.spark.sql.RowFactory.create("w-" + i, x, (double) (i % CLASSES)));
    }
    Path input = tmp.resolve("wide-input");
    spark.createDataFrame(raw, new org.apache.spark.sql.types.StructType()
            .add("id", "string").add("features", "array<double>").add("label", "double"))
        .coalesce(1).write().parquet(input.toString());
    Path wide = tmp.resolve("wide-examples");
    new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "prepare.format=parquet", "prepare.output=" + wide, "prepare.input.train=" + input,
        "prepare.validation-fraction=0", "prepare.class-count=3")))).run(spark);
    List<Long> rowGroups = rowGroupBytes(wide.resolve("split=train"));
    assertThat(rowGroups).as("row groups of the examples table").hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(bytes -> assertThat(bytes).isLessThan(2L << 20));

    Path teacher = save(network(List.of(width), CLASSES, 31), tmp.resolve("wide.zip"));
    Path output = tmp.resolve("wide-targets");
    // The settings each SQL execution ran with, as Spark records them when it starts.
    List<Map<String, String>> executions = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.apache.spark.scheduler.SparkListener listener =
        new org.apache.spark.scheduler.SparkListener() {
          @Override
          public void onOtherEvent(org.apache.spark.scheduler.SparkListenerEvent event) {
            if (event instanceof org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart
                start) {
              executions.add(Map.copyOf(scala.collection.JavaConverters
                  .mapAsJavaMapConverter(start.modifiedConfigs()).asJava()));
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    TargetsManifest manifest;
    try {
      manifest = new InferJob(config(settings(wide, output, List.of(teacher),
          "infer.include-features=true"))).run(spark);
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    // The scoring write read one scoring batch at a time and wrote as it scored.
    assertThat(executions).anySatisfy(conf -> assertThat(conf)
        .containsEntry("spark.sql.parquet.columnarReaderBatchSize", "256")
        .containsEntry("spark.sql.maxConcurrentOutputFileWriters", "4")
        .containsEntry("spark.sql.parquet.writeLegacyFormat", "true"));

    assertThat(manifest.rows().scored()).isEqualTo(3000);
    // Each task writes its own file. Spark's own sizing (4 MB splits at least) would read the
    // 3 MB in one or two tasks; 1 MiB splits of 4 row groups make 3 or 4.
    try (var files = Files.list(output.resolve("split=train"))) {
      assertThat(files.filter(f -> f.toString().endsWith(".parquet")).count())
          .as("scoring tasks").isGreaterThanOrEqualTo(3);
    }
    assertThat(spark.conf().contains("spark.sql.files.maxPartitionBytes")).isFalse();
    assertThat(spark.conf().contains("spark.sql.parquet.columnarReaderBatchSize")).isFalse();
    assertThat(spark.conf().contains("spark.sql.parquet.writeLegacyFormat")).isFalse();
    assertThat(spark.conf().contains("spark.sql.maxConcurrentOutputFileWriters")).isFalse();
    // Two-level lists: the LIST group holds a repeated float, no group per element.
    org.apache.parquet.schema.Type element = fileSchema(output.resolve("split=train"))
        .getType("features").asGroupType().getType(0);
    assertThat(element.isPrimitive()).as("features list element " + element).isTrue();
    assertThat(element.isRepetition(org.apache.parquet.schema.Type.Repetition.REPEATED)).isTrue();
    Map<String, float[]> examplesById = new HashMap<>();
    spark.read().parquet(wide.toString()).collectAsList()
        .forEach(r -> examplesById.put(r.getString(0), floats(r.getList(1))));
    for (Row row : spark.read().parquet(output.toString()).select("id", "features")
        .collectAsList()) {
      assertThat(floats(row.getList(1))).as(row.getString(0))
          .containsExactly(examplesById.get(row.getString(0)));
    }
  }

  @Test
  void keepsASplitSizeTheUserSet() {
    Path output = tmp.resolve("user-split");
    spark.conf().set("spark.sql.files.maxPartitionBytes", "64m");
    try {
      new InferJob(config(settings(examples, output, List.of(fileA)))).run(spark);
      assertThat(spark.conf().get("spark.sql.files.maxPartitionBytes")).isEqualTo("64m");
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
    }
  }

  @Test
  void refusesAnExamplesTableWhoseColumnsAreOffTheContract() throws IOException {
    Path doubles = tmp.resolve("double-labels");
    spark.read().parquet(examples.toString())
        .withColumn("label", org.apache.spark.sql.functions.col("label").cast("double"))
        .write().partitionBy("split").parquet(doubles.toString());
    Files.copy(examples.resolve("_manifest.json"), doubles.resolve("_manifest.json"));
    Files.copy(examples.resolve("_SUCCESS"), doubles.resolve("_SUCCESS"),
        StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> new InferJob(config(settings(doubles, tmp.resolve("out"),
        List.of(fileA)))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageContaining("column 'label' is double, expected int");
  }

  @Test
  void refusesASelectionWithNoRowsNamingTheSplitsThereAre() throws IOException {
    Path noTest = tmp.resolve("no-test-split");
    spark.read().parquet(examples.toString()).filter("split <> 'test'")
        .withColumn("batch", org.apache.spark.sql.functions.lit("b1"))
        .write().partitionBy("split").parquet(noTest.toString());
    Files.copy(examples.resolve("_manifest.json"), noTest.resolve("_manifest.json"));
    Files.copy(examples.resolve("_SUCCESS"), noTest.resolve("_SUCCESS"),
        StandardCopyOption.REPLACE_EXISTING);
    Map<String, Long> bySplit = countsBySplit(spark.read().parquet(noTest.toString()));

    for (String run : List.of("full", "incremental")) {
      Path output = tmp.resolve("nothing-" + run);
      String[] selection = run.equals("full") ? new String[] {"infer.splits=[test]"}
          : new String[] {"infer.splits=[test]", "infer.batch-column=batch"};
      assertThatThrownBy(() -> new InferJob(config(settings(noTest, output, List.of(fileA),
          selection))).run(spark))
          .isInstanceOf(DistillException.class)
          .hasMessageContaining("infer.splits = [test] selects no rows of " + noTest)
          .hasMessageContaining("train: " + bySplit.get("train"))
          .hasMessageContaining("validation: " + bySplit.get("validation"));
      assertThat(output.resolve("_SUCCESS")).doesNotExist();
    }
  }

  private static org.apache.parquet.schema.MessageType fileSchema(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      Path file = files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow();
      try (var reader = org.apache.parquet.hadoop.ParquetFileReader.open(
          org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
              new org.apache.hadoop.fs.Path(file.toString()),
              spark.sparkContext().hadoopConfiguration()))) {
        return reader.getFooter().getFileMetaData().getSchema();
      }
    }
  }

  /** The byte size of every Parquet row group under a directory. */
  private static List<Long> rowGroupBytes(Path dir) throws IOException {
    List<Long> sizes = new ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        try (var reader = org.apache.parquet.hadoop.ParquetFileReader.open(
            org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toString()),
                spark.sparkContext().hadoopConfiguration()))) {
          reader.getFooter().getBlocks().forEach(b -> sizes.add(b.getTotalByteSize()));
        }
      }
    }
    return sizes;
  }

  // ---- ensembles ------------------------------------------------------------------------------

  @Test
  void averagesTwoTeachersProbabilitiesAndKeepsEachTeachersLogits() {
    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output,
        List.of(fileA, fileB), "infer.keep-teacher-logits=true"))).run(spark);

    Dataset<Row> table = spark.read().parquet(output.toString());
    assertThat(table.schema().fieldNames()).containsExactly("id", "label",
        "teacher_logits", "teacher_0_logits", "teacher_1_logits", "split");
    Map<String, float[]> a = logits(teacherA);
    Map<String, float[]> b = logits(teacherB);
    List<Row> scored = table.select("id", "teacher_logits", "teacher_0_logits",
        "teacher_1_logits").collectAsList();
    assertThat(scored).hasSize(rows.size());
    for (Row r : scored) {
      String id = r.getString(0);
      double[] pa = Ensemble.softmax(a.get(id));
      double[] pb = Ensemble.softmax(b.get(id));
      float[] combined = floats(r.getList(1));
      double[] back = Ensemble.softmax(combined);
      for (int c = 0; c < CLASSES; c++) {
        double mean = (pa[c] + pb[c]) / 2;
        assertThat((double) combined[c]).as("%s [%d]", id, c)
            .isCloseTo(Math.log(mean), within(TOLERANCE));
        assertThat(back[c]).as("%s [%d]", id, c).isCloseTo(mean, within(TOLERANCE));
      }
      assertClose(floats(r.getList(2)), a.get(id), id + " teacher 0");
      assertClose(floats(r.getList(3)), b.get(id), id + " teacher 1");
    }
    assertThat(manifest.teachers()).extracting(TargetsManifest.Teacher::path)
        .containsExactly(fileA.toString(), fileB.toString());
    assertThat(manifest.ensembleRule()).isEqualTo("mean-probabilities");
  }

  @Test
  void averagesTwoTeachersLogitsWithMeanLogits() {
    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output,
        List.of(fileA, fileB), "infer.ensemble=mean-logits"))).run(spark);

    Dataset<Row> table = spark.read().parquet(output.toString());
    assertThat(table.schema().fieldNames())
        .containsExactly("id", "label", "teacher_logits", "split");
    Map<String, float[]> a = logits(teacherA);
    Map<String, float[]> b = logits(teacherB);
    for (Row r : table.select("id", "teacher_logits").collectAsList()) {
      String id = r.getString(0);
      float[] expected = new float[CLASSES];
      for (int c = 0; c < CLASSES; c++) {
        expected[c] = (a.get(id)[c] + b.get(id)[c]) / 2;
      }
      assertClose(floats(r.getList(1)), expected, id);
    }
    assertThat(manifest.ensembleRule()).isEqualTo("mean-logits");
  }

  // ---- forms ----------------------------------------------------------------------------------

  @Test
  void topKFormRebuildsTheDenseTeachersProbabilitiesOfTheTopClasses() {
    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA),
        "infer.form=top-k", "infer.top-k=2"))).run(spark);

    Dataset<Row> table = spark.read().parquet(output.toString());
    assertThat(table.schema().fieldNames()).containsExactly("id", "label",
        "topk_index", "topk_logit", "rest_logit", "split");
    Map<String, float[]> dense = logits(teacherA);
    List<Row> scored = table.select("id", "topk_index", "topk_logit", "rest_logit")
        .collectAsList();
    assertThat(scored).hasSize(rows.size());
    for (Row r : scored) {
      String id = r.getString(0);
      List<Integer> index = r.getList(1);
      int[] top = index.stream().mapToInt(Integer::intValue).toArray();
      float[] rebuilt = SoftTargets.fromTopK(top, floats(r.getList(2)), r.getFloat(3), CLASSES);
      double[] p = Ensemble.softmax(dense.get(id));
      double[] q = Ensemble.softmax(rebuilt);
      assertThat(top).hasSize(2);
      assertThat(p[top[0]]).as("%s: largest class first", id)
          .isGreaterThanOrEqualTo(p[top[1]] - TOLERANCE);
      for (int c : top) {
        assertThat(q[c]).as("%s class %d", id, c).isCloseTo(p[c], within(TOLERANCE));
      }
      int left = 3 - top[0] - top[1];
      assertThat(p[left]).as("%s: the left-out class is the smallest", id)
          .isLessThanOrEqualTo(p[top[1]] + TOLERANCE);
    }
    assertThat(manifest.form()).isEqualTo("top-k");
    assertThat(manifest.topK()).isEqualTo(2);
  }

  @Test
  void topKAboveTheClassCountKeepsEveryClassExactly() {
    Path output = tmp.resolve("targets");
    new InferJob(config(settings(examples, output, List.of(fileA), "infer.form=top-k",
        "infer.top-k=5"))).run(spark);

    Map<String, float[]> dense = logits(teacherA);
    for (Row r : spark.read().parquet(output.toString())
        .select("id", "topk_index", "topk_logit", "rest_logit").collectAsList()) {
      assertThat(r.getList(1)).hasSize(CLASSES);
      assertThat(r.getFloat(3)).isZero();
      List<Integer> index = r.getList(1);
      float[] rebuilt = SoftTargets.fromTopK(index.stream().mapToInt(Integer::intValue)
          .toArray(), floats(r.getList(2)), r.getFloat(3), CLASSES);
      assertClose(rebuilt, dense.get(r.getString(0)), r.getString(0));
    }
  }

  @Test
  void topKAboveTheClassCountRecordsTheClassesKeptPerRowInTheManifest() {
    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA),
        "infer.form=top-k", "infer.top-k=5"))).run(spark);

    assertThat(manifest.topK()).as("classes kept per row").isEqualTo(CLASSES);
  }

  @Test
  void withoutFeaturesWritesATargetsOnlyTable() {
    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA),
        "infer.include-features=false"))).run(spark);

    Dataset<Row> table = spark.read().parquet(output.toString());
    assertThat(table.schema().fieldNames())
        .containsExactly("id", "label", "teacher_logits", "split");
    assertThat(table.count()).isEqualTo(rows.size());
    assertThat(manifest.includesFeatures()).isFalse();
  }

  // ---- min-confidence -------------------------------------------------------------------------

  @Test
  void setsAsideUnlabeledRowsBelowTheConfidenceBoundButNeverLabeledOnes() {
    Map<String, float[]> dense = logits(teacherA);
    Map<String, Double> top = new HashMap<>();
    dense.forEach((id, z) -> top.put(id, Ensemble.topProbability(z)));
    List<Double> unlabeled = rows.values().stream().filter(r -> r.isNullAt(2))
        .map(r -> top.get(r.getString(0))).sorted().toList();
    assertThat(unlabeled).hasSizeGreaterThan(10);
    // Halfway between two neighbouring unlabeled rows near the median: no row sits on the bound.
    int middle = unlabeled.size() / 2;
    double bound = (unlabeled.get(middle - 1) + unlabeled.get(middle)) / 2;
    assertThat(unlabeled.get(middle) - unlabeled.get(middle - 1)).isGreaterThan(1e-4);
    Set<String> expectedFiltered = rows.values().stream()
        .filter(r -> r.isNullAt(2) && top.get(r.getString(0)) < bound)
        .map(r -> r.getString(0)).collect(Collectors.toSet());
    assertThat(rows.values().stream().filter(r -> !r.isNullAt(2))
        .anyMatch(r -> top.get(r.getString(0)) < bound))
        .as("some labeled rows are below the bound too").isTrue();

    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA),
        "infer.min-confidence=" + bound))).run(spark);

    List<Row> filtered = spark.read().parquet(output.resolve(InferJob.FILTERED).toString())
        .select("id", "label", "filter_reason").collectAsList();
    assertThat(filtered.stream().map(r -> r.getString(0)).collect(Collectors.toSet()))
        .isEqualTo(expectedFiltered);
    for (Row r : filtered) {
      assertThat(r.isNullAt(1)).isTrue();
      assertThat(r.getString(2))
          .startsWith("low_confidence: top teacher probability ")
          .endsWith(" < " + bound);
      double reported = Double.parseDouble(r.getString(2).split(" ")[4]);
      assertThat(reported).isCloseTo(top.get(r.getString(0)), within(1e-4));
    }

    Dataset<Row> kept = spark.read().parquet(output.toString());
    assertThat(kept.schema().fieldNames())
        .containsExactly("id", "label", "teacher_logits", "split");
    Set<String> keptIds = kept.select("id").collectAsList().stream().map(r -> r.getString(0))
        .collect(Collectors.toSet());
    assertThat(keptIds).doesNotContainAnyElementsOf(expectedFiltered);
    assertThat(keptIds).containsAll(rows.values().stream().filter(r -> !r.isNullAt(2))
        .map(r -> r.getString(0)).toList());
    assertThat(keptIds.size() + filtered.size()).isEqualTo(rows.size());
    assertThat(manifest.rows().input()).isEqualTo(rows.size());
    assertThat(manifest.rows().scored()).isEqualTo(keptIds.size());
    assertThat(manifest.rows().filtered()).isEqualTo(expectedFiltered.size());
    assertThat(manifest.rows().input())
        .isEqualTo(manifest.rows().scored() + manifest.rows().filtered());
  }

  @Test
  void capPerClassCutsByConfidenceThenIdAndLeavesLabeledAndFilteredRowsAlone() {
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
        .add("id", "string").add("label", "int").add(Scoring.PSEUDO_LABEL, "int")
        .add(Scoring.CONFIDENCE, "double").add(Scoring.FILTER_REASON, "string");
    List<Row> scored = List.of(
        org.apache.spark.sql.RowFactory.create("a", null, 0, 0.9, null),
        org.apache.spark.sql.RowFactory.create("c", null, 0, 0.8, null),
        // As confident as c: the earlier id is kept.
        org.apache.spark.sql.RowFactory.create("b", null, 0, 0.8, null),
        // Filtered already, and the most confident: it takes no place under the cap.
        org.apache.spark.sql.RowFactory.create("d", null, 0, 0.99, "low_confidence"),
        // Labeled: never capped, whatever its confidence.
        org.apache.spark.sql.RowFactory.create("e", 2, 0, 0.1, null),
        org.apache.spark.sql.RowFactory.create("f", null, 1, 0.2, null));

    Map<String, String> reasons = new TreeMap<>();
    InferJob.capPerClass(spark.createDataFrame(scored, schema), 2).collectAsList()
        .forEach(r -> reasons.put(r.getString(0), r.isNullAt(4) ? "kept" : r.getString(4)));

    assertThat(reasons).containsExactlyEntriesOf(new TreeMap<>(Map.of("a", "kept", "b", "kept",
        "c", "class_cap: pseudo-label 0 keeps its 2 most confident unlabeled rows",
        "d", "low_confidence", "e", "kept", "f", "kept")));
    assertThat(InferJob.capPerClass(spark.createDataFrame(scored, schema), 0).collectAsList())
        .as("no cap").filteredOn(r -> r.isNullAt(4)).hasSize(5);
  }

  // ---- reruns ---------------------------------------------------------------------------------

  @Test
  void capsUnlabeledRowsPerPseudoLabelKeepingTheMostConfident() {
    Map<String, float[]> dense = logits(teacherA);
    int cap = 3;
    Map<Integer, List<String>> byClass = new HashMap<>();
    rows.values().stream().filter(r -> r.isNullAt(2)).map(r -> r.getString(0))
        .sorted(java.util.Comparator.comparingDouble(
            (String id) -> -Ensemble.topProbability(dense.get(id))).thenComparing(id -> id))
        .forEach(id -> {
          double[] p = Ensemble.softmax(dense.get(id));
          int top = 0;
          for (int c = 1; c < p.length; c++) {
            top = p[c] > p[top] ? c : top;
          }
          byClass.computeIfAbsent(top, k -> new java.util.ArrayList<>()).add(id);
        });
    Set<String> expectedKept = byClass.values().stream()
        .flatMap(ids -> ids.stream().limit(cap)).collect(Collectors.toSet());
    assertThat(byClass.values()).anyMatch(ids -> ids.size() > cap);

    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA),
        "infer.max-per-class=" + cap))).run(spark);

    Set<String> keptUnlabeled = spark.read().parquet(output.toString()).filter("label IS NULL")
        .select("id").collectAsList().stream().map(r -> r.getString(0))
        .collect(Collectors.toSet());
    assertThat(keptUnlabeled).isEqualTo(expectedKept);
    List<Row> filtered = spark.read().parquet(output.resolve(InferJob.FILTERED).toString())
        .select("filter_reason").collectAsList();
    assertThat(filtered).isNotEmpty().allSatisfy(r -> assertThat(r.getString(0))
        .matches("class_cap: pseudo-label [0-2] keeps its 3 most confident unlabeled rows"));
    assertThat(spark.read().parquet(output.toString()).columns())
        .doesNotContain("_pseudo_label", "_confidence");
    assertThat(manifest.rows().input())
        .isEqualTo(manifest.rows().scored() + manifest.rows().filtered());
  }

  @Test
  void skipsARerunRefusesAnotherTeacherAndReplacesWithOverwrite() throws Exception {
    Path teacher = tmp.resolve("teacher.zip");
    Files.copy(fileA, teacher);
    Path output = tmp.resolve("targets");
    TargetsManifest first = new InferJob(config(settings(examples, output, List.of(teacher))))
        .run(spark);

    TargetsManifest second = new InferJob(config(settings(examples, output, List.of(teacher))))
        .run(spark);
    assertThat(second.startedAt()).isEqualTo(first.startedAt());

    // Same path and config, other file contents.
    Files.copy(fileB, teacher, StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> new InferJob(config(settings(examples, output, List.of(teacher))))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("output " + output + " holds a complete targets table made from other "
            + "inputs or another config; use --mode overwrite to replace it");
    assertThat(manifest(output).startedAt()).isEqualTo(first.startedAt());

    TargetsManifest replaced = new InferJob(config(settings(examples, output, List.of(teacher),
        "infer.mode=overwrite"))).run(spark);
    assertThat(replaced.startedAt()).isNotEqualTo(first.startedAt());
    assertThat(replaced.teachers().get(0).sha256()).isEqualTo(sha256(fileB))
        .isNotEqualTo(first.teachers().get(0).sha256());
    assertThat(manifest(output)).isEqualTo(replaced);
    Map<String, float[]> b = logits(teacherB);
    for (Row r : spark.read().parquet(output.toString()).select("id", "teacher_logits")
        .collectAsList()) {
      assertClose(floats(r.getList(1)), b.get(r.getString(0)), r.getString(0));
    }
  }

  @Test
  void replacesTheLeftoversOfAFailedRun() throws IOException {
    Path output = tmp.resolve("targets");
    Files.createDirectories(output.resolve("split=train"));
    Files.writeString(output.resolve("split=train/part-00000.parquet"), "half-written");
    Files.createDirectories(output.resolve("_temporary/0"));

    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA))))
        .run(spark);

    assertThat(manifest.rows().scored()).isEqualTo(rows.size());
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(rows.size());
    assertThat(output.resolve("_SUCCESS")).exists();
  }

  @Test
  void refusesAnOutputThatHoldsSomethingElse() throws IOException {
    Path output = tmp.resolve("targets");
    Files.createDirectories(output);
    Files.writeString(output.resolve("notes.txt"), "keep me");
    assertThatThrownBy(() -> new InferJob(config(settings(examples, output, List.of(fileA))))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("output " + output + " exists and is not a targets table; choose another "
            + "output or use --mode overwrite");
    assertThat(output.resolve("notes.txt")).exists();
  }

  // ---- bad inputs -----------------------------------------------------------------------------

  @Test
  void refusesATeacherWithTheWrongNumberOfOutputs() {
    Path teacher = save(network(List.of(FEATURES), 5, 3), tmp.resolve("five.zip"));
    Path output = tmp.resolve("targets");
    assertThatThrownBy(() -> new InferJob(config(settings(examples, output, List.of(teacher))))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("teacher " + teacher + " has 5 outputs but the examples have 3 classes");
    assertThat(output).doesNotExist();
  }

  @Test
  void refusesATeacherThatDoesNotTakeTheFeatureCount() {
    Path teacher = save(network(List.of(6), CLASSES, 3), tmp.resolve("six-features.zip"));
    assertThatThrownBy(() -> new InferJob(config(settings(examples, tmp.resolve("targets"),
        List.of(teacher)))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("teacher " + teacher + " does not take the examples' 4 features");
  }

  @Test
  void refusesACorruptModelFile() throws IOException {
    Path teacher = tmp.resolve("corrupt.zip");
    byte[] noise = new byte[4096];
    new Random(5).nextBytes(noise);
    Files.write(teacher, noise);
    assertThatThrownBy(() -> new InferJob(config(settings(examples, tmp.resolve("targets"),
        List.of(teacher)))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("teacher " + teacher + " is not a readable DL4J model");
  }

  @Test
  void refusesAMissingTeacherFile() {
    Path teacher = tmp.resolve("nowhere/model.zip");
    assertThatThrownBy(() -> new InferJob(config(settings(examples, tmp.resolve("targets"),
        List.of(fileA, teacher)))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("teacher " + teacher + " does not exist");
  }

  @Test
  void refusesAnInputThatIsNotACompleteExamplesTable() throws IOException {
    Path incomplete = tmp.resolve("incomplete");
    Files.createDirectories(incomplete);
    Files.copy(examples.resolve("_manifest.json"), incomplete.resolve("_manifest.json"));
    assertThatThrownBy(() -> new InferJob(config(settings(incomplete, tmp.resolve("targets"),
        List.of(fileA)))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("infer.input = " + incomplete + " is not a complete examples table (no "
            + "_manifest.json and _SUCCESS); run prepare first");
    assertThat(tmp.resolve("targets")).doesNotExist();
  }

  // ---- splits ---------------------------------------------------------------------------------

  @Test
  void scoresOnlyTheChosenSplits() {
    Path output = tmp.resolve("targets");
    TargetsManifest manifest = new InferJob(config(settings(examples, output, List.of(fileA),
        "infer.splits=[test]"))).run(spark);

    Dataset<Row> table = spark.read().parquet(output.toString());
    assertThat(countsBySplit(table)).containsExactly(Map.entry("test", (long) TEST_ROWS));
    assertThat(table.select("id").collectAsList().stream().map(r -> r.getString(0)))
        .allMatch(id -> id.startsWith("te-"));
    assertThat(manifest.rows().input()).isEqualTo(TEST_ROWS);
    assertThat(manifest.rows().scored()).isEqualTo(TEST_ROWS);
    assertThat(manifest.rows().bySplit()).containsExactly(Map.entry("test", (long) TEST_ROWS));
  }

  // ---- downstream -----------------------------------------------------------------------------

  @Test
  void theDenseTargetsTableTrainsAStudent() {
    Path targets = tmp.resolve("targets");
    new InferJob(config(settings(examples, targets, List.of(fileA)))).run(spark);
    Path student = tmp.resolve("student");

    ModelManifest manifest = new TrainJob(TrainConfig.from(ConfigLayers.resolve(Optional.empty(),
        "", List.of("train.input=" + targets, "train.output=" + student, "train.alpha=0.5",
            "train.epochs=2", "train.model.hidden=[8]",
            "train.spark.batch-size-per-worker=16")))).run(spark);

    assertThat(manifest.epochs()).isEqualTo(2);
    assertThat(student.resolve("model.zip")).exists();
    assertThat(student.resolve("_SUCCESS")).exists();
  }

  @Test
  void aTargetsOnlyTableTrainsOnTheFeaturesOfItsExamples() throws IOException {
    Path copy = tmp.resolve("examples");
    org.apache.commons.io.FileUtils.copyDirectory(examples.toFile(), copy.toFile());
    Path targets = tmp.resolve("targets");
    new InferJob(config(settings(copy, targets, List.of(fileA), "infer.include-features=false")))
        .run(spark);
    long trainRows = rows.values().stream().filter(r -> r.getString(3).equals("train")).count();

    ModelManifest manifest = new TrainJob(TrainConfig.from(ConfigLayers.resolve(Optional.empty(),
        "", List.of("train.input=" + targets, "train.output=" + tmp.resolve("student"),
            "train.alpha=0.5", "train.epochs=1", "train.model.hidden=[8]",
            "train.spark.batch-size-per-worker=16")))).run(spark);
    assertThat(manifest.best().rows()).as("every training row, joined to its features")
        .isEqualTo(trainRows);

    Files.delete(copy.resolve("_SUCCESS"));
    assertThatThrownBy(() -> new TrainJob(TrainConfig.from(ConfigLayers.resolve(
        Optional.empty(), "", List.of("train.input=" + targets,
            "train.output=" + tmp.resolve("again"), "train.alpha=0.5")))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.input = " + targets + " holds no features (infer.include-features = "
            + "false), and the examples it was scored from, " + copy + ", are not a complete "
            + "examples table any more; score them again with include-features = true, or "
            + "restore the examples");
  }
}
