package dev.sparkdistill.jobs.infer;

import static dev.sparkdistill.jobs.io.ArrayColumns.floats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.jobs.evaluate.EvaluateJob;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.onnx.OnnxExporter;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.bench.OnnxBenchmark;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.train.TrainJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import onnx.Onnx.ModelProto;
import onnx.Onnx.TensorShapeProto;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;

/**
 * ONNX teachers in the infer job, on the Fashion-MNIST slice: a CNN teacher exported by
 * {@link OnnxExporter} and scored by ONNX Runtime gives the logits DL4J gives from its
 * model.zip, mixes with DL4J teachers in an ensemble, and its targets train a student.
 */
class InferOnnxTeacherTest extends SparkTestBase {
  private static final double BOUND = 1e-4;
  private static final List<Integer> SHAPE = List.of(1, 28, 28);
  private static final int CLASSES = 10;

  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  private static Path examples;
  private static MultiLayerNetwork cnn;
  private static Path cnnZip;
  private static Path cnnOnnx;
  private static Path mlpZip;
  /** The DL4J models' targets: the CNN's logits (teacher_0) and the CNN + MLP ensemble. */
  private static Path reference;

  @BeforeAll
  static void fixtures() throws IOException {
    examples = prepareSlice(shared.resolve("examples"), true);
    cnn = ModelFactory.create(new ModelSpec(ModelSpec.Kind.CNN, List.of(16), Activation.RELU,
            0.2, WeightInit.RELU, List.of(4, 8), 3, 2, ""), SHAPE, CLASSES,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.01, 1), 3);
    cnnZip = save(cnn, shared.resolve("cnn.zip"));
    cnnOnnx = shared.resolve("cnn.onnx");
    Files.write(cnnOnnx, OnnxExporter.export(cnn, description()).toByteArray());
    mlpZip = save(ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(32),
            Activation.TANH, 0, WeightInit.XAVIER, List.of(), 3, 2, ""), SHAPE, CLASSES,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.01, 1), 4),
        shared.resolve("mlp.zip"));
    reference = shared.resolve("reference");
    new InferJob(config(reference, List.of(cnnZip, mlpZip), "infer.keep-teacher-logits=true",
        "infer.engine=nd4j"))
        .run(spark);
  }

  private static OnnxExporter.Description description() {
    return new OnnxExporter.Description(SHAPE,
        IntStream.range(0, CLASSES).mapToObj(String::valueOf).toList(), "sha256:test");
  }

  private static Path save(MultiLayerNetwork network, Path file) throws IOException {
    ModelSerializer.writeModel(network, file.toFile(), false);
    return file;
  }

  private static InferConfig config(Path output, List<Path> teachers, String... more) {
    List<String> all = new ArrayList<>(List.of("infer.input=" + examples,
        "infer.output=" + output,
        "infer.teachers=" + teachers.stream().map(p -> "\"" + p + "\"").toList(),
        "infer.batch-size=64"));
    all.addAll(List.of(more));
    return InferConfig.from(ConfigLayers.resolve(Optional.empty(), "", all));
  }

  private static Map<String, float[]> scores(Path targets, String column) {
    Map<String, float[]> byId = new HashMap<>();
    for (Row r : spark.read().parquet(targets.toString()).select("id", column).collectAsList()) {
      byId.put(r.getString(0), floats(r.getList(1)));
    }
    return byId;
  }

  private static double maxAbsDiff(Map<String, float[]> a, Map<String, float[]> b) {
    assertThat(a.keySet()).isEqualTo(b.keySet());
    double max = 0;
    for (String id : a.keySet()) {
      for (int c = 0; c < CLASSES; c++) {
        max = Math.max(max, Math.abs(a.get(id)[c] - b.get(id)[c]));
      }
    }
    return max;
  }

  @Test
  void anOnnxTeacherGivesTheLogitsOfItsDl4jModelAndIsRecordedByDigest() throws Exception {
    // Bytes no other test uses, so no earlier run in this JVM has opened a session for them.
    Path fresh = tmp.resolve("fresh.onnx");
    Files.write(fresh, OnnxExporter.exportBytes(cnn, new OnnxExporter.Description(SHAPE,
        description().classNames(), "sha256:only-this-test")));
    Path fromOnnx = tmp.resolve("onnx");
    TargetsManifest manifest;
    try (dev.sparkdistill.jobs.LogLines loads = dev.sparkdistill.jobs.LogLines.of(
        ShippedModel.class, ShippedModel.LOADED)) {
      manifest = new InferJob(config(fromOnnx, List.of(fresh))).run(spark);
      // local[2]: two task threads, several batches of 64 rows, one session
      assertThat(loads.count()).as("sessions opened in this JVM").isEqualTo(1);
    }

    double diff = maxAbsDiff(scores(reference, "teacher_0_logits"),
        scores(fromOnnx, "teacher_logits"));
    System.out.println("ONNX teacher vs DL4J teacher in infer, 400 slice rows: max abs diff "
        + diff);
    assertThat(diff).isLessThanOrEqualTo(BOUND);
    assertThat(manifest.teachers()).containsExactly(new TargetsManifest.Teacher(
        fresh.toString(), ShippedModel.sha256(Files.readAllBytes(fresh)), cnn.numParams(),
        "onnxruntime"));
    assertThat(manifest.rows().scored()).isEqualTo(400);
  }

  @Test
  void aDl4jTeacherIsScoredByOnnxRuntimeByDefaultWithItsOwnLogits() throws Exception {
    Path auto = tmp.resolve("auto");
    TargetsManifest manifest = new InferJob(config(auto, List.of(cnnZip))).run(spark);

    assertThat(maxAbsDiff(scores(reference, "teacher_0_logits"), scores(auto, "teacher_logits")))
        .isLessThanOrEqualTo(BOUND);
    assertThat(manifest.teachers()).containsExactly(new TargetsManifest.Teacher(
        cnnZip.toString(), ShippedModel.sha256(Files.readAllBytes(cnnZip)), cnn.numParams(),
        "onnxruntime"));
    TargetsManifest nd4j = new InferJob(config(tmp.resolve("nd4j"), List.of(cnnZip),
        "infer.engine=nd4j")).run(spark);
    assertThat(nd4j.teachers()).extracting(TargetsManifest.Teacher::engine)
        .containsExactly("nd4j");
  }

  @Test
  void aTeacherWithoutAnOnnxFormIsScoredByNd4jUnderAutoAndRefusedUnderOnnxruntime()
      throws IOException {
    MultiLayerNetwork cubic = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(2)
        .list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(8).activation(Activation.CUBE)
            .name("cubic").build())
        .layer(new OutputLayer.Builder(new DistillationLoss()).nIn(8).nOut(CLASSES)
            .activation(Activation.IDENTITY).build())
        .build());
    cubic.init();
    Path teacher = save(cubic, tmp.resolve("cubic.zip"));

    TargetsManifest manifest = new InferJob(config(tmp.resolve("fallback"), List.of(teacher)))
        .run(spark);
    assertThat(manifest.teachers()).extracting(TargetsManifest.Teacher::engine)
        .containsExactly("nd4j");
    assertThat(manifest.rows().scored()).isEqualTo(400);

    assertThatThrownBy(() -> new InferJob(config(tmp.resolve("refused"), List.of(teacher),
        "infer.engine=onnxruntime")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("infer.engine = onnxruntime, but teacher " + teacher + " cannot be scored "
            + "by ONNX Runtime: cannot export layer 0 'cubic' (DenseLayer) to ONNX: its "
            + "activation cube has no ONNX form here (supported: identity, relu, leakyrelu, "
            + "tanh, sigmoid, elu, gelu (not precise), swish, softmax); set infer.engine = auto "
            + "(ND4J for such teachers) or nd4j");
    assertThat(tmp.resolve("refused").resolve("_SUCCESS")).doesNotExist();
  }

  @Test
  void anEnsembleMixesAnOnnxAndADl4jTeacher() {
    Path mixed = tmp.resolve("mixed");
    TargetsManifest manifest = new InferJob(config(mixed, List.of(cnnOnnx, mlpZip),
        "infer.keep-teacher-logits=true")).run(spark);

    for (String column : List.of("teacher_0_logits", "teacher_1_logits", "teacher_logits")) {
      assertThat(maxAbsDiff(scores(reference, column), scores(mixed, column))).as(column)
          .isLessThanOrEqualTo(BOUND);
    }
    assertThat(manifest.ensembleRule()).isEqualTo("mean-probabilities");
    assertThat(manifest.teachers()).extracting(TargetsManifest.Teacher::path)
        .containsExactly(cnnOnnx.toString(), mlpZip.toString());
  }

  @Test
  void takesAnOnnxTeacherWhoseInputIsImageShaped() throws Exception {
    // As models exported from PyTorch are: [batch, channels, height, width].
    ModelProto.Builder model = ModelProto.parseFrom(Files.readAllBytes(cnnOnnx)).toBuilder();
    TensorShapeProto.Builder shape = model.getGraphBuilder().getInputBuilder(0).getTypeBuilder()
        .getTensorTypeBuilder().getShapeBuilder().removeDim(1);
    for (int d : SHAPE) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    Path image = tmp.resolve("image-input.onnx");
    Files.write(image, model.build().toByteArray());
    Path fromImage = tmp.resolve("image");
    new InferJob(config(fromImage, List.of(image))).run(spark);

    assertThat(maxAbsDiff(scores(reference, "teacher_0_logits"),
        scores(fromImage, "teacher_logits"))).isLessThanOrEqualTo(BOUND);
  }

  /**
   * As a Keras export would be: channels last, [batch, 28, 28, 1], and trained on pixels
   * normalized its own way, (raw / 255 - 0.5) / 0.25. The graph undoes both in front of the CNN,
   * so it gives the CNN's logits exactly when it is fed what it expects.
   */
  @Test
  void feedsAChannelsLastTeacherItsOwnNormalizationFromTheRawPixels() throws Exception {
    ModelProto.Builder model = ModelProto.parseFrom(Files.readAllBytes(cnnOnnx)).toBuilder();
    onnx.Onnx.GraphProto.Builder graph = model.getGraphBuilder();
    String original = graph.getInput(0).getName();
    TensorShapeProto.Builder shape = graph.getInputBuilder(0).setName("nhwc").getTypeBuilder()
        .getTensorTypeBuilder().getShapeBuilder().removeDim(1);
    for (int d : new int[] {28, 28, 1}) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    graph.addInitializer(scalar("std", 0.25f)).addInitializer(scalar("mean", 0.5f));
    graph.addNode(0, onnx.Onnx.NodeProto.newBuilder().setOpType("Transpose").addInput("nhwc")
        .addOutput("nchw").addAttribute(onnx.Onnx.AttributeProto.newBuilder().setName("perm")
            .setType(onnx.Onnx.AttributeProto.AttributeType.INTS)
            .addAllInts(List.of(0L, 3L, 1L, 2L))));
    graph.addNode(1, onnx.Onnx.NodeProto.newBuilder().setOpType("Mul").addInput("nchw")
        .addInput("std").addOutput("spread"));
    graph.addNode(2, onnx.Onnx.NodeProto.newBuilder().setOpType("Add").addInput("spread")
        .addInput("mean").addOutput(original));
    Path keras = tmp.resolve("keras-like.onnx");
    Files.write(keras, model.build().toByteArray());

    Path fed = tmp.resolve("fed");
    new InferJob(config(fed, List.of(keras), "infer.teacher-inputs=[{teacher = \"" + keras
        + "\", layout = nhwc, scale = 0.00392156862745098, mean = [0.5], std = [0.25]}]"))
        .run(spark);
    Path transposedOnly = tmp.resolve("transposed-only");
    new InferJob(config(transposedOnly, List.of(keras))).run(spark);

    assertThat(maxAbsDiff(scores(reference, "teacher_0_logits"), scores(fed, "teacher_logits")))
        .isLessThanOrEqualTo(BOUND);
    assertThat(maxAbsDiff(scores(reference, "teacher_0_logits"),
        scores(transposedOnly, "teacher_logits")))
        .as("channels last found from the shape, but without its normalization the teacher "
            + "sees other values").isGreaterThan(0.01);

    // evaluate feeds it the same way, so the CNN it wraps agrees with it exactly.
    String described = "evaluate.teacher-inputs=[{teacher = \"" + keras + "\", layout = nhwc, "
        + "scale = 0.00392156862745098, mean = [0.5], std = [0.25]}]";
    EvaluationReport.ModelReport wrapped = cnnAgainst(keras, tmp.resolve("report"), described);
    EvaluationReport.ModelReport unfed = cnnAgainst(keras, tmp.resolve("report-unfed"));
    assertThat(wrapped.teacherAgreement()).isEqualTo(1.0);
    assertThat(wrapped.meanKlFromTeacher()).isLessThan(1e-6);
    assertThat(unfed.meanKlFromTeacher()).as("the teacher without its normalization")
        .isGreaterThan(1e-3);
  }

  /** The CNN's row of a report in which {@code teacher} is the teacher. */
  private static EvaluationReport.ModelReport cnnAgainst(Path teacher, Path output,
      String... more) {
    List<String> settings = new ArrayList<>(List.of("evaluate.input=" + examples,
        "evaluate.output=" + output, "evaluate.teacher=" + teacher,
        "evaluate.models=[\"cnn=" + cnnOnnx + "\"]"));
    settings.addAll(List.of(more));
    return new EvaluateJob(EvaluateConfig.from(ConfigLayers.resolve(Optional.empty(), "",
        settings))).evaluate(spark).models().stream().filter(m -> m.name().equals("cnn"))
        .findFirst().orElseThrow();
  }

  @Test
  void namesEveryInputOfATeacherWithSeveral() throws Exception {
    ModelProto.Builder model = ModelProto.parseFrom(Files.readAllBytes(cnnOnnx)).toBuilder();
    model.getGraphBuilder().addInput(model.getGraphBuilder().getInput(0).toBuilder()
        .setName("mask"));
    Path twoInputs = tmp.resolve("two-inputs.onnx");
    Files.write(twoInputs, model.build().toByteArray());

    assertThatThrownBy(() -> new InferJob(config(tmp.resolve("t"), List.of(twoInputs)))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("teacher " + twoInputs + " has 2 inputs, [features ")
        .hasMessageContaining(", mask ")
        .hasMessageEndingWith("a teacher takes one, the examples' features as a float tensor: "
            + "export the model with only that input (fold the others in as constants)");
  }

  private static onnx.Onnx.TensorProto scalar(String name, float value) {
    return onnx.Onnx.TensorProto.newBuilder().setName(name)
        .setDataType(onnx.Onnx.TensorProto.DataType.FLOAT_VALUE).addFloatData(value).build();
  }

  @Test
  void benchmarksNd4jAgainstOnnxRuntimeOnTheSameRows() {
    java.io.StringWriter text = new java.io.StringWriter();
    new OnnxBenchmark(config(tmp.resolve("unused"), List.of(cnnZip)),
        new java.io.PrintWriter(text, true)).run(spark, "test", 2);

    assertThat(text.toString())
        .startsWith("100 test rows x 784 features, teacher " + cnnZip + " (6794 parameters), "
            + "batch 64, 2 threads")
        .containsPattern("ONNX Runtime vs ND4J on these rows: max abs diff of logits "
            + "\\d\\.\\d\\de-0[5-9]")
        .containsPattern("round 1: ND4J \\d+ rows/s, ONNX Runtime \\d+ rows/s, ratio ONNX "
            + "Runtime / ND4J \\d+\\.\\d\\d")
        .contains("round 2: ")
        .containsPattern("median ratio ONNX Runtime / ND4J: \\d+\\.\\d\\d over 2 rounds");
    assertThat(tmp.resolve("unused")).doesNotExist();
  }

  @Test
  void refusesACorruptOnnxFile() throws IOException {
    Path teacher = tmp.resolve("corrupt.onnx");
    byte[] noise = new byte[4096];
    new Random(5).nextBytes(noise);
    Files.write(teacher, noise);
    assertThatThrownBy(() -> new InferJob(config(tmp.resolve("targets"), List.of(teacher)))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("teacher " + teacher + " is not a readable ONNX model: ");
    assertThat(tmp.resolve("targets")).doesNotExist();
  }

  @Test
  void refusesAnOnnxTeacherWithTheWrongClassesOrFeatures() throws IOException {
    MultiLayerNetwork five = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(8),
            Activation.RELU, 0, WeightInit.RELU, List.of(), 3, 2, ""), List.of(784), 5,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.1, 1), 1);
    Path fiveClasses = tmp.resolve("five.onnx");
    Files.write(fiveClasses, OnnxExporter.exportBytes(five, new OnnxExporter.Description(
        List.of(784), List.of("a", "b", "c", "d", "e"), "sha256:test")));
    assertThatThrownBy(() -> new InferJob(config(tmp.resolve("t1"), List.of(fiveClasses)))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("teacher " + fiveClasses + " has 5 outputs but the examples have 10 classes");

    MultiLayerNetwork small = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(8),
            Activation.RELU, 0, WeightInit.RELU, List.of(), 3, 2, ""), List.of(12), CLASSES,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.1, 1), 1);
    Path twelve = tmp.resolve("twelve.onnx");
    Files.write(twelve, OnnxExporter.exportBytes(small, new OnnxExporter.Description(
        List.of(12), IntStream.range(0, CLASSES).mapToObj(String::valueOf).toList(), "x")));
    assertThatThrownBy(() -> new InferJob(config(tmp.resolve("t2"), List.of(twelve)))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("teacher " + twelve + " takes input features of shape [-1, 12] but the "
            + "examples have 784 features (shape [1, 28, 28]); expected [batch, 784] or "
            + "[batch, 1, 28, 28] or, channels last, [batch, 28, 28, 1]");
  }

  @Test
  void targetsScoredByAnOnnxTeacherTrainAStudent() {
    Path targets = tmp.resolve("targets");
    new InferJob(config(targets, List.of(cnnOnnx))).run(spark);
    Path student = tmp.resolve("student");

    ModelManifest manifest = new TrainJob(TrainConfig.from(ConfigLayers.resolve(Optional.empty(),
        "", List.of("train.input=" + targets, "train.output=" + student, "train.alpha=0.5",
            "train.temperature=2", "train.epochs=2", "train.model.hidden=[16]",
            "train.spark.batch-size-per-worker=32")))).run(spark);

    assertThat(manifest.epochs()).isEqualTo(2);
    assertThat(manifest.best().teacherAgreement()).isNotNull();
    assertThat(student.resolve("model.zip")).exists();
    assertThat(student.resolve("_SUCCESS")).exists();
  }
}
