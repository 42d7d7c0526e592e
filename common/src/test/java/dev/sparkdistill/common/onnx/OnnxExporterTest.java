package dev.sparkdistill.common.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLabels;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import onnx.Onnx.ModelProto;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Parity: every exported model runs in ONNX Runtime and gives DL4J's outputs on the same seeded
 * inputs within {@value #BOUND} (max absolute difference over all logits).
 */
class OnnxExporterTest {
  private static final double BOUND = 1e-4;
  private static OrtEnvironment env;

  @BeforeAll
  static void startOrt() {
    env = OrtEnvironment.getEnvironment();
  }

  @AfterAll
  static void report() {
    // The figures docs/benchmarks.md quotes; printed so a run shows them.
    System.out.println("ONNX parity, max abs diff: " + FIGURES);
  }

  private static final Map<String, Double> FIGURES = new java.util.TreeMap<>();

  static Stream<Arguments> mlpActivations() {
    return Stream.of("relu", "leakyrelu", "tanh", "sigmoid", "elu", "gelu", "swish")
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mlpActivations")
  void mlpWithDropoutMatchesDl4j(String activation) throws OrtException {
    MultiLayerNetwork network = ModelFactory.create(mlp(activation, 0.3), List.of(20), 5,
        new DistillationLoss(), updater(), 3);
    assertParity("mlp-" + activation, network, List.of(20), 5, 64);
  }

  static Stream<Arguments> cnnShapes() {
    // The demo's shape, and an odd one so Same padding and pooling leave a remainder.
    return Stream.of(Arguments.of(List.of(1, 28, 28), 3, 2), Arguments.of(List.of(3, 9, 7), 3, 2),
        Arguments.of(List.of(2, 11, 10), 5, 3));
  }

  @ParameterizedTest(name = "{0} kernel {1} pool {2}")
  @MethodSource("cnnShapes")
  void cnnMatchesDl4j(List<Integer> shape, int kernel, int pool) throws OrtException {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.CNN, List.of(16), Activation.RELU, 0.2,
        WeightInit.RELU, List.of(4, 8), kernel, pool, "");
    MultiLayerNetwork network = ModelFactory.create(spec, shape, 10, new DistillationLoss(),
        updater(), 5);
    assertParity("cnn-" + shape.stream().map(String::valueOf).collect(Collectors.joining("x"))
        + "-k" + kernel + "p" + pool, network, shape, 10, 16);
  }

  @Test
  void briefTrainingKeepsParity() throws OrtException {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.CNN, List.of(16), Activation.RELU, 0.2,
        WeightInit.RELU, List.of(4), 3, 2, "");
    MultiLayerNetwork network = ModelFactory.create(spec, List.of(1, 8, 8), 3,
        new DistillationLoss(0, 1), updater(), 9);
    Random random = new Random(4);
    for (int step = 0; step < 20; step++) {
      float[][] labels = new float[32][DistillationLabels.width(3)];
      for (float[] row : labels) {
        row[random.nextInt(3)] = 1;
      }
      network.fit(new DataSet(Nd4j.create(inputs(32, 64, random)), Nd4j.create(labels)));
    }
    assertParity("cnn-trained", network, List.of(1, 8, 8), 3, 32);
  }

  @Test
  void batchNormAndGlobalPoolingOfTheModelFactoryKeepParityAfterTraining() throws OrtException {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.CNN, List.of(8), Activation.RELU, 0,
        WeightInit.RELU, List.of(4, 6), 3, 2, true, true, "");
    MultiLayerNetwork network = ModelFactory.create(spec, List.of(2, 9, 7), 3,
        new DistillationLoss(0, 1), updater(), 11);
    fitOnNoise(network, 20, 3, DistillationLabels.width(3), 2, new Random(12));
    assertThat(network.getLayer(1).getParam("log10stdev").meanNumber().doubleValue())
        .as("running statistics were updated").isNotZero();
    assertParity("cnn-batchnorm-globalpool", network, List.of(2, 9, 7), 3, 16);
  }

  @Test
  void batchNormAveragePoolingTruncatePaddingAndSoftmaxMatchDl4j() throws OrtException {
    MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(6).updater(new Adam(0.01)).weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).padding(1, 1).stride(2, 1)
            .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build())
        // DL4J ignores a batch normalization layer's activation; the export must too.
        .layer(new BatchNormalization.Builder().activation(Activation.TANH).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG)
            .kernelSize(2, 2).stride(2, 2).convolutionMode(ConvolutionMode.Same).build())
        .layer(new DropoutLayer(0.5))
        .layer(new DenseLayer.Builder().nOut(12).activation(Activation.IDENTITY).build())
        .layer(new BatchNormalization.Builder().useLogStd(false).build())
        .layer(new ActivationLayer(Activation.ELU))
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
            .activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(9, 7, 2)).build());
    network.init();
    fitOnNoise(network, 30, 4, 4, 3, new Random(8));
    assertThat(network.getLayer(1).getParam("log10stdev").meanNumber().doubleValue())
        .as("running statistics were updated").isNotZero();
    assertParity("batchnorm-avgpool-truncate-softmax", network, List.of(2, 9, 7), 4, 16);
  }

  @Test
  void recordsShapeClassesDigestAndADynamicBatch() throws OrtException {
    MultiLayerNetwork network = ModelFactory.create(mlp("relu", 0), List.of(20), 5,
        new DistillationLoss(), updater(), 3);
    OnnxExporter.Description description = description(List.of(20), 5);
    ModelProto model = OnnxExporter.export(network, description);

    assertThat(model.getIrVersion()).isEqualTo(8);
    assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(17);
    assertThat(model.getGraph().getInput(0).getName()).isEqualTo("features");
    assertThat(model.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0)
        .getDimParam()).isEqualTo("batch");
    try (OrtSession session = env.createSession(model.toByteArray(),
        new OrtSession.SessionOptions())) {
      assertThat(session.getMetadata().getCustomMetadata()).containsExactlyInAnyOrderEntriesOf(
          Map.of("feature_shape", "[20]",
              "class_names", "[\"c0\",\"c1\",\"c2\",\"c3\",\"c4\"]",
              "source_model_sha256", "sha256:test", "input", "prepared"));
      for (int rows : new int[] {1, 37}) {
        assertThat(run(session, inputs(rows, 20, new Random(rows)), 20)).hasNumberOfRows(rows);
      }
    }
  }

  @Test
  void namesTheLayerItCannotExport() {
    MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(2).build())
        .layer(new LocalResponseNormalization.Builder().name("lrn").build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
            .activation(Activation.IDENTITY).build())
        .setInputType(InputType.convolutionalFlat(6, 6, 1)).build());
    network.init();
    assertThatThrownBy(() -> OnnxExporter.export(network, description(List.of(1, 6, 6), 3)))
        .isInstanceOf(DistillException.class)
        .hasMessage("cannot export layer 1 'lrn' (LocalResponseNormalization) to ONNX: it has "
            + "no ONNX form here (supported: dense, output, convolution, subsampling (max, "
            + "average), global pooling (max, average), batch normalization, dropout and "
            + "activation layers; NCHW; convolution "
            + "modes Same, Truncate, Strict)");
  }

  @Test
  void namesTheActivationItCannotExport() {
    MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.CUBE)
            .name("cubic").build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2)
            .activation(Activation.IDENTITY).build())
        .build());
    network.init();
    assertThatThrownBy(() -> OnnxExporter.export(network, description(List.of(4), 2)))
        .isInstanceOf(DistillException.class)
        .hasMessage("cannot export layer 0 'cubic' (DenseLayer) to ONNX: its activation cube "
            + "has no ONNX form here (supported: identity, relu, leakyrelu, tanh, sigmoid, elu, "
            + "gelu (not precise), swish, softmax)");
  }

  private static ModelSpec mlp(String activation, double dropout) {
    return new ModelSpec(ModelSpec.Kind.MLP, List.of(32, 16),
        Activation.valueOf(activation.toUpperCase(Locale.ROOT)), dropout, WeightInit.RELU,
        List.of(), 3, 2, "");
  }

  private static TrainConfig.Updater updater() {
    return new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.01, 1.0);
  }

  private static OnnxExporter.Description description(List<Integer> shape, int classes) {
    return new OnnxExporter.Description(shape,
        IntStream.range(0, classes).mapToObj(c -> "c" + c).toList(), "sha256:test");
  }

  /**
   * Fits minibatches of 16 rows of 2 x 9 x 7 features drawn from N(scale, scale^2), each with a
   * random class, so the running means and variances of batch normalization move away from 0
   * and 1.
   */
  private static void fitOnNoise(MultiLayerNetwork network, int steps, int classes,
      int labelWidth, float scale, Random random) {
    for (int step = 0; step < steps; step++) {
      float[][] labels = new float[16][labelWidth];
      for (float[] row : labels) {
        row[random.nextInt(classes)] = 1;
      }
      float[][] x = inputs(16, 2 * 9 * 7, random);
      for (float[] row : x) {
        for (int j = 0; j < row.length; j++) {
          row[j] = row[j] * scale + scale;
        }
      }
      network.fit(new DataSet(Nd4j.create(x), Nd4j.create(labels)));
    }
  }

  /** Rows of N(0, 1) features. */
  private static float[][] inputs(int rows, int width, Random random) {
    float[][] x = new float[rows][width];
    for (float[] row : x) {
      for (int j = 0; j < width; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    return x;
  }

  private void assertParity(String name, MultiLayerNetwork network, List<Integer> shape,
      int classes, int rows) throws OrtException {
    int width = shape.stream().reduce(1, (a, b) -> a * b);
    float[][] x = inputs(rows, width, new Random(name.hashCode()));
    float[][] expected = network.output(Nd4j.create(x), false).toFloatMatrix();
    byte[] bytes = OnnxExporter.exportBytes(network, description(shape, classes));
    float[][] actual;
    try (OrtSession session = env.createSession(bytes, new OrtSession.SessionOptions())) {
      actual = run(session, x, width);
    }
    double max = 0;
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, Math.abs(actual[i][c] - expected[i][c]));
      }
    }
    FIGURES.put(name, max);
    assertThat(max).as("max abs diff of %s", name).isLessThanOrEqualTo(BOUND);
  }

  private static float[][] run(OrtSession session, float[][] x, int width) throws OrtException {
    float[] flat = new float[x.length * width];
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(x[i], 0, flat, i * width, width);
    }
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat),
            new long[] {x.length, width});
        OrtSession.Result result = session.run(Map.of("features", tensor))) {
      return (float[][]) result.get(0).getValue();
    }
  }
}
