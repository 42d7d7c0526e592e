package dev.sparkdistill.jobs.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.jobs.cli.DistillCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
import org.nd4j.linalg.activations.Activation;
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
}
