package dev.sparkdistill.jobs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.jobs.cli.DistillCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** {@code distill export --format onnx}, in-process, without Spark. */
class OnnxExportTest {
  private static final String MANIFEST = "{\"kind\": \"model\", \"featureShape\": [1, 8, 8], "
      + "\"classCount\": 3, \"classNames\": [\"cat\", \"dog\", \"bird\"]}";

  @TempDir
  Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int distill(String... args) {
    return DistillCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  private Path trainedModelDir(MultiLayerNetwork network) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("student"));
    ModelSerializer.writeModel(network, dir.resolve("model.zip").toFile(), true);
    Files.writeString(dir.resolve("_manifest.json"), MANIFEST);
    return dir;
  }

  private static MultiLayerNetwork cnn() {
    return ModelFactory.create(new ModelSpec(ModelSpec.Kind.CNN, List.of(8), Activation.RELU,
            0.2, WeightInit.RELU, List.of(4), 3, 2, ""), List.of(1, 8, 8), 3,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.01, 1),
        1);
  }

  @Test
  void exportsAModelWithItsManifestsShapeAndClassesAfterCheckingParity() throws Exception {
    Path dir = trainedModelDir(cnn());
    Path onnx = tmp.resolve("out/student.onnx");

    int code = distill("export", "--format", "onnx", "--model", dir.resolve("model.zip")
        .toString(), "--output", onnx.toString());

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).startsWith("exported " + dir.resolve("model.zip") + " to "
        + onnx + ": ").containsPattern("max abs diff of logits \\d\\.\\d\\de-\\d\\d");
    try (Stream<Path> files = Files.list(onnx.getParent())) {
      // the local Hadoop file system adds a .crc checksum beside every file
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("student.onnx", ".student.onnx.crc");
    }
    try (OrtSession session = OrtEnvironment.getEnvironment().createSession(onnx.toString(),
        new OrtSession.SessionOptions())) {
      assertThat(session.getMetadata().getCustomMetadata())
          .containsEntry("feature_shape", "[1,8,8]")
          .containsEntry("class_names", "[\"cat\",\"dog\",\"bird\"]")
          .containsEntry("source_model_sha256",
              ShippedModel.sha256(Files.readAllBytes(dir.resolve("model.zip"))));
    }
  }

  @Test
  void refusesToReplaceAnExistingFileUnlessAskedTo() throws Exception {
    Path dir = trainedModelDir(cnn());
    Path onnx = tmp.resolve("student.onnx");
    Files.writeString(onnx, "keep me");
    String[] args = {"export", "--format", "onnx", "--model", dir.resolve("model.zip").toString(),
        "--output", onnx.toString()};

    assertThat(distill(args)).isEqualTo(1);
    assertThat(err.toString().strip()).isEqualTo("distill export failed: output " + onnx
        + " exists; use --overwrite to replace it");
    assertThat(Files.readString(onnx)).isEqualTo("keep me");

    String[] overwrite = Stream.concat(Stream.of(args), Stream.of("--overwrite"))
        .toArray(String[]::new);
    assertThat(distill(overwrite)).as(err.toString()).isZero();
    assertThat(Files.size(onnx)).isGreaterThan(1000);
  }

  @Test
  void aLayerWithoutAnOnnxFormFailsNamingItAndWritesNothing() throws Exception {
    MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(2).build())
        .layer(new LocalResponseNormalization.Builder().name("lrn").build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
            .activation(Activation.IDENTITY).build())
        .setInputType(InputType.convolutionalFlat(8, 8, 1)).build());
    network.init();
    Path dir = trainedModelDir(network);
    Path out = Files.createDirectories(tmp.resolve("out"));

    assertThat(distill("export", "--format", "onnx", "--model", dir.resolve("model.zip")
        .toString(), "--output", out.resolve("m.onnx").toString())).isEqualTo(1);
    assertThat(err.toString().strip()).startsWith("distill export failed: cannot export layer 1 "
        + "'lrn' (LocalResponseNormalization) to ONNX: it has no ONNX form here");
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void needsAManifestForTheShapeAndClasses() throws Exception {
    Path dir = trainedModelDir(cnn());
    Files.delete(dir.resolve("_manifest.json"));
    assertThat(distill("export", "--format", "onnx", "--model", dir.resolve("model.zip")
        .toString(), "--output", tmp.resolve("m.onnx").toString())).isEqualTo(1);
    assertThat(err.toString().strip()).isEqualTo("distill export failed: "
        + dir.resolve("_manifest.json") + " does not exist: the export needs the feature shape "
        + "and class names; give --examples with the examples table the model was trained on");
  }

  @Test
  void rejectsAnUnknownFormatOrAnOutputThatIsNotOnnx() {
    assertThat(distill("export", "--format", "tflite", "--model", "m.zip", "--output", "m.onnx"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--format'");
    assertThat(distill("export", "--format", "onnx", "--model", "m.zip", "--output", "m.zip"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--output must name a .onnx file, got 'm.zip'");
  }

  /**
   * A model trained on standardized rows, exported with --raw-input: ONNX Runtime on raw rows
   * gives what DL4J gives on the same rows scaled as prepare stores them. The scaling is found
   * through the model's manifest (input: a targets table) and the targets' (examples).
   */
  @ParameterizedTest
  @ValueSource(strings = {"standard", "linear"})
  void aRawInputExportScalesRawRowsAsPrepareDid(String kind) throws Exception {
    MultiLayerNetwork network = cnn();
    Path dir = trainedModelDir(network);
    Random random = new Random(3);
    double[] mean = new double[64];
    double[] std = new double[64];
    for (int f = 0; f < 64; f++) {
      mean[f] = 100 * random.nextDouble();
      std[f] = f == 5 ? 0 : 1 + 50 * random.nextDouble(); // feature 5 constant: factor 0
    }
    FeatureScaling scaling = kind.equals("linear")
        ? new FeatureScaling(FeatureScaling.Kind.LINEAR, 1 / 255.0, -0.5)
        : FeatureScaling.fit(FeatureScaling.Kind.STANDARD, mean, std, mean, mean, 1000);
    Path examples = Files.createDirectories(tmp.resolve("examples"));
    Files.writeString(examples.resolve("_manifest.json"), "{\"kind\": \"examples\", "
        + "\"featureShape\": [1, 8, 8], \"classCount\": 3, \"scaling\": "
        + ManifestJson.write(scaling) + "}");
    Path targets = Files.createDirectories(tmp.resolve("targets"));
    Files.writeString(targets.resolve("_manifest.json"), "{\"kind\": \"targets\", "
        + "\"featureShape\": [1, 8, 8], \"classCount\": 3, \"examples\": \"" + examples
        + "\"}");
    for (Path complete : List.of(examples, targets)) {
      Files.writeString(complete.resolve("_SUCCESS"), "");
    }
    Files.writeString(dir.resolve("_manifest.json"), MANIFEST.replace("\"kind\": \"model\",",
        "\"kind\": \"model\", \"input\": \"" + targets + "\","));
    Path onnx = tmp.resolve("raw.onnx");

    assertThat(distill("export", "--format", "onnx", "--raw-input", "--model",
        dir.resolve("model.zip").toString(), "--output", onnx.toString()))
        .as(err.toString()).isZero();

    int rows = 16;
    float[] raw = new float[rows * 64];
    float[] stored = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = kind.equals("linear") ? random.nextInt(256)
          : (float) (mean[i % 64] + 2 * std[i % 64] * random.nextGaussian());
      stored[i] = scaling.apply(i % 64, raw[i]);
    }
    float[][] expected = network.output(Nd4j.create(stored, new long[] {rows, 64}, 'c'), false)
        .toFloatMatrix();
    try (OrtSession session = OrtEnvironment.getEnvironment().createSession(onnx.toString(),
        new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
            FloatBuffer.wrap(raw), new long[] {rows, 64});
        OrtSession.Result result = session.run(Map.of("features", input))) {
      float[][] actual = (float[][]) result.get(0).getValue();
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < 3; c++) {
          assertThat(actual[r][c]).as("row %d class %d", r, c)
              .isCloseTo(expected[r][c], within(1e-4f));
        }
      }
      assertThat(session.getMetadata().getCustomMetadata()).containsEntry("input", "raw")
          .containsEntry("input_scaling", ManifestJson.write(scaling).replaceAll("\\s", ""));
    }
    // The jobs feed scaled rows: such a model as a teacher would see them scaled twice.
    assertThatThrownBy(() -> ShippedModel.load(onnx.toString(), new TableShape("examples",
        List.of(1, 8, 8), 64, 3, List.of("cat", "dog", "bird")),
        new org.apache.hadoop.conf.Configuration(), "teacher"))
        .isInstanceOf(DistillException.class)
        .hasMessage("teacher " + onnx + " was exported with --raw-input: it scales raw rows "
            + "itself, and the examples table holds scaled ones; export it again without "
            + "--raw-input to use it here");
  }

  @Test
  void aRawInputExportNeedsTheExamplesScaling() throws Exception {
    Path dir = trainedModelDir(cnn()); // its manifest names no input
    assertThat(distill("export", "--format", "onnx", "--raw-input", "--model",
        dir.resolve("model.zip").toString(), "--output", tmp.resolve("m.onnx").toString()))
        .isEqualTo(1);
    assertThat(err.toString().strip()).isEqualTo("distill export failed: --raw-input needs the "
        + "scaling of the examples the model was trained on, and model " + dir.resolve("model.zip")
        + " does not lead to an examples table; give --examples");
  }
}
