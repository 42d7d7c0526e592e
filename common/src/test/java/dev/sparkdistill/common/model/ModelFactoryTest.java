package dev.sparkdistill.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.train.Minibatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;

class ModelFactoryTest {
  private static final DistillationLoss LOSS = new DistillationLoss(0.3, 2.5);
  private static final TrainConfig.Updater ADAM =
      new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0);

  private static ModelSpec mlp(List<Integer> hidden, double dropout) {
    return new ModelSpec(ModelSpec.Kind.MLP, hidden, Activation.RELU, dropout, WeightInit.XAVIER,
        List.of(), 3, 2, "");
  }

  private static ModelSpec cnn(List<Integer> channels, int kernel, int pool, List<Integer> hidden) {
    return new ModelSpec(ModelSpec.Kind.CNN, hidden, Activation.RELU, 0.0, WeightInit.RELU,
        channels, kernel, pool, "");
  }

  // ---- MLP ------------------------------------------------------------------------------------

  @Test
  void mlpHasDenseLayersThenOutputLayerWithLogitsAndDistillationLoss() {
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(16, 8), 0.0),
        List.of(20), 4, LOSS, ADAM, 1);

    assertThat(conf.getConfs()).hasSize(3);
    DenseLayer first = (DenseLayer) conf.getConf(0).getLayer();
    DenseLayer second = (DenseLayer) conf.getConf(1).getLayer();
    OutputLayer output = (OutputLayer) conf.getConf(2).getLayer();
    assertThat(first.getNIn()).isEqualTo(20);
    assertThat(first.getNOut()).isEqualTo(16);
    assertThat(first.getActivationFn()).isInstanceOf(ActivationReLU.class);
    assertThat(second.getNIn()).isEqualTo(16);
    assertThat(second.getNOut()).isEqualTo(8);
    assertThat(output.getNIn()).isEqualTo(8);
    assertThat(output.getNOut()).isEqualTo(4);
    assertThat(output.getActivationFn()).isInstanceOf(ActivationIdentity.class);
    assertThat(output.getLossFn()).isInstanceOf(DistillationLoss.class).isEqualTo(LOSS);
    DistillationLoss loss = (DistillationLoss) output.getLossFn();
    assertThat(loss.alpha()).isEqualTo(0.3);
    assertThat(loss.temperature()).isEqualTo(2.5);
  }

  @Test
  void mlpParameterCountIsWeightsPlusBiases() {
    MultiLayerNetwork network = ModelFactory.create(mlp(List.of(16, 8), 0.0), List.of(20), 4,
        LOSS, ADAM, 1);

    assertThat(network.numParams()).isEqualTo(20 * 16 + 16 + 16 * 8 + 8 + 8 * 4 + 4);
  }

  @Test
  void mlpFlattensAMultiDimensionalFeatureShape() {
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(5), 0.0),
        List.of(2, 3, 4), 3, LOSS, ADAM, 1);

    assertThat(((DenseLayer) conf.getConf(0).getLayer()).getNIn()).isEqualTo(24);
  }

  @Test
  void mlpWithoutHiddenLayersIsASingleOutputLayer() {
    MultiLayerNetwork network = ModelFactory.create(mlp(List.of(), 0.0), List.of(6), 3, LOSS,
        ADAM, 1);

    assertThat(network.getnLayers()).isEqualTo(1);
    assertThat(network.numParams()).isEqualTo(6 * 3 + 3);
  }

  @Test
  void dropoutIsStoredAsRetainProbabilityOnHiddenLayers() {
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(16, 8), 0.25),
        List.of(20), 4, LOSS, ADAM, 1);

    for (int i = 0; i < 2; i++) {
      DenseLayer dense = (DenseLayer) conf.getConf(i).getLayer();
      assertThat(dense.getIDropout()).as("layer %d", i).isInstanceOf(Dropout.class);
      assertThat(((Dropout) dense.getIDropout()).getP()).as("layer %d", i).isEqualTo(0.75);
    }
  }

  @Test
  void noDropoutWhenDropoutIsZero() {
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(16, 8), 0.0),
        List.of(20), 4, LOSS, ADAM, 1);

    for (int i = 0; i < 3; i++) {
      assertThat(((BaseLayer) conf.getConf(i).getLayer()).getIDropout()).as("layer %d", i)
          .isNull();
    }
  }

  @Test
  void weightInitAndSeedAreTaken() {
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(16), 0.0),
        List.of(20), 4, LOSS, ADAM, 1234);

    assertThat(conf.getConf(0).getSeed()).isEqualTo(1234L);
    assertThat(((BaseLayer) conf.getConf(0).getLayer()).getWeightInitFn())
        .isEqualTo(WeightInit.XAVIER.getWeightInitFunction());
  }

  @Test
  void sameSeedGivesSameInitialParameters() {
    INDArray a = ModelFactory.create(mlp(List.of(16, 8), 0.0), List.of(20), 4, LOSS, ADAM, 7)
        .params();
    INDArray b = ModelFactory.create(mlp(List.of(16, 8), 0.0), List.of(20), 4, LOSS, ADAM, 7)
        .params();
    INDArray c = ModelFactory.create(mlp(List.of(16, 8), 0.0), List.of(20), 4, LOSS, ADAM, 8)
        .params();

    assertThat(a).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void outputWidthIsTheClassCount() {
    assertThat(ModelFactory.outputWidth(ModelFactory.create(mlp(List.of(16), 0.0), List.of(20),
        7, LOSS, ADAM, 1))).isEqualTo(7);
    assertThat(ModelFactory.outputWidth(ModelFactory.create(
        cnn(List.of(2), 3, 2, List.of()), List.of(1, 8, 8), 3, LOSS, ADAM, 1))).isEqualTo(3);
  }

  // ---- CNN ------------------------------------------------------------------------------------

  @Test
  void cnnReshapesFlatRowsAndOutputsOneLogitPerClass() {
    MultiLayerNetwork network = ModelFactory.create(cnn(List.of(4, 8), 3, 2, List.of(16)),
        List.of(1, 28, 28), 10, LOSS, ADAM, 1);

    INDArray out = network.output(Nd4j.rand(5, 784));

    assertThat(out.shape()).containsExactly(5L, 10L);
    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
    assertThat(conf.getConfs()).hasSize(6);
    assertThat(conf.getConf(0).getLayer()).isInstanceOf(ConvolutionLayer.class);
    assertThat(conf.getConf(1).getLayer()).isInstanceOf(SubsamplingLayer.class);
    assertThat(conf.getConf(2).getLayer()).isInstanceOf(ConvolutionLayer.class);
    assertThat(conf.getConf(3).getLayer()).isInstanceOf(SubsamplingLayer.class);
    ConvolutionLayer firstConv = (ConvolutionLayer) conf.getConf(0).getLayer();
    assertThat(firstConv.getNIn()).isEqualTo(1);
    assertThat(firstConv.getNOut()).isEqualTo(4);
    assertThat(firstConv.getKernelSize()).containsExactly(3, 3);
    assertThat(((ConvolutionLayer) conf.getConf(2).getLayer()).getNIn()).isEqualTo(4);
    SubsamplingLayer pool = (SubsamplingLayer) conf.getConf(1).getLayer();
    assertThat(pool.getKernelSize()).containsExactly(2, 2);
    assertThat(pool.getStride()).containsExactly(2, 2);
    // 28 -> 14 -> 7 with same padding, 8 channels
    assertThat(((DenseLayer) conf.getConf(4).getLayer()).getNIn()).isEqualTo(7 * 7 * 8);
    assertThat(((OutputLayer) conf.getConf(5).getLayer()).getNIn()).isEqualTo(16);
  }

  @Test
  void cnnWithMultipleChannelsAndNonSquareImages() {
    MultiLayerNetwork network = ModelFactory.create(cnn(List.of(4), 3, 2, List.of(8)),
        List.of(3, 8, 12), 5, LOSS, ADAM, 1);

    INDArray out = network.output(Nd4j.rand(2, 3 * 8 * 12));

    assertThat(out.shape()).containsExactly(2L, 5L);
    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
    assertThat(((ConvolutionLayer) conf.getConf(0).getLayer()).getNIn()).isEqualTo(3);
    assertThat(((DenseLayer) conf.getConf(2).getLayer()).getNIn()).isEqualTo(4 * 4 * 6);
  }

  @Test
  void cnnWithPoolSizeOneHasNoPooling() {
    MultiLayerConfiguration conf = ModelFactory.configuration(cnn(List.of(4, 8), 3, 1,
        List.of()), List.of(1, 6, 6), 3, LOSS, ADAM, 1);

    assertThat(conf.getConfs()).hasSize(3);
    assertThat(conf.getConf(0).getLayer()).isInstanceOf(ConvolutionLayer.class);
    assertThat(conf.getConf(1).getLayer()).isInstanceOf(ConvolutionLayer.class);
    assertThat(((OutputLayer) conf.getConf(2).getLayer()).getNIn()).isEqualTo(6 * 6 * 8);
  }

  @Test
  void cnnRefusesFlatFeatureShape() {
    assertThatThrownBy(() -> ModelFactory.configuration(cnn(List.of(4), 3, 2, List.of(16)),
        List.of(784), 10, LOSS, ADAM, 1))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.model.kind = cnn needs image-shaped features "
            + "[channels, height, width], but the input's feature shape is [784]");
  }

  @Test
  void batchNormSitsBetweenEachConvolutionAndItsActivationAndGlobalPoolingReplacesFlattening() {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.CNN, List.of(16), Activation.RELU, 0.0,
        WeightInit.RELU, List.of(4, 8), 3, 2, true, true, "");
    MultiLayerNetwork network = ModelFactory.create(spec, List.of(1, 12, 12), 5, LOSS, ADAM, 1);

    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
    List<Class<?>> layers = conf.getConfs().stream().<Class<?>>map(c -> c.getLayer().getClass())
        .toList();
    assertThat(layers).containsExactly(ConvolutionLayer.class, BatchNormalization.class,
        ActivationLayer.class, SubsamplingLayer.class, ConvolutionLayer.class,
        BatchNormalization.class, ActivationLayer.class, SubsamplingLayer.class,
        GlobalPoolingLayer.class, DenseLayer.class, OutputLayer.class);
    ConvolutionLayer convolution = (ConvolutionLayer) conf.getConf(0).getLayer();
    assertThat(convolution.hasBias()).isFalse();
    assertThat(convolution.getActivationFn()).isInstanceOf(ActivationIdentity.class);
    assertThat(((ActivationLayer) conf.getConf(2).getLayer()).getActivationFn())
        .isInstanceOf(ActivationReLU.class);
    // one value per channel of the last block reaches the dense layer
    assertThat(((DenseLayer) conf.getConf(9).getLayer()).getNIn()).isEqualTo(8);
    assertThat(network.output(Nd4j.rand(3, 144)).shape()).containsExactly(3L, 5L);
  }

  @Test
  void decoupledWeightDecayShrinksTheWeightsByRateTimesDecayNotTheBiases() {
    TrainConfig.Updater decayed = new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.5,
        TrainConfig.Schedule.EXPONENTIAL, 1, 1, 1, 0, 0.1, 1);
    TrainConfig.Updater plain = new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.5, 1);
    MultiLayerNetwork withDecay = ModelFactory.create(mlp(List.of(), 0), List.of(3), 2,
        new DistillationLoss(0, 1), decayed, 4);
    MultiLayerNetwork without = ModelFactory.create(mlp(List.of(), 0), List.of(3), 2,
        new DistillationLoss(0, 1), plain, 4);
    INDArray weightsBefore = without.getParam("0_W").dup();
    DataSet batch = new DataSet(Nd4j.create(new float[][] {{1, 2, 3}, {-1, 0, 2}}),
        Nd4j.create(new float[][] {{1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}}));

    withDecay.fit(batch);
    without.fit(batch);

    // AdamW's form: w <- w - lr * gradient - lr * decay * w
    INDArray expected = without.getParam("0_W").sub(weightsBefore.mul(0.5 * 0.1));
    assertThat(withDecay.getParam("0_W").ravel().toDoubleVector())
        .containsExactly(expected.ravel().toDoubleVector(), within(1e-6));
    assertThat(withDecay.getParam("0_b").ravel().toDoubleVector())
        .containsExactly(without.getParam("0_b").ravel().toDoubleVector(), within(1e-7));
    assertThat(MultiLayerConfiguration.fromJson(withDecay.getLayerWiseConfigurations().toJson()))
        .as("the decay survives the JSON workers rebuild the network from")
        .isEqualTo(withDecay.getLayerWiseConfigurations());
  }

  // ---- updater --------------------------------------------------------------------------------

  static Stream<Arguments> updaterKinds() {
    return Stream.of(
        Arguments.of(TrainConfig.UpdaterKind.ADAM, Adam.class),
        Arguments.of(TrainConfig.UpdaterKind.NESTEROVS, Nesterovs.class),
        Arguments.of(TrainConfig.UpdaterKind.SGD, Sgd.class));
  }

  private static ISchedule learningRateSchedule(IUpdater updater) {
    if (updater instanceof Adam adam) {
      return adam.getLearningRateSchedule();
    }
    if (updater instanceof Nesterovs nesterovs) {
      return nesterovs.getLearningRateSchedule();
    }
    return ((Sgd) updater).getLearningRateSchedule();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("updaterKinds")
  void updaterKindWithDecayingLearningRate(TrainConfig.UpdaterKind kind,
      Class<? extends IUpdater> type) {
    TrainConfig.Updater updater = new TrainConfig.Updater(kind, 0.05, 0.5);
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(16), 0.0),
        List.of(20), 4, LOSS, updater, 1);

    for (int i = 0; i < conf.getConfs().size(); i++) {
      IUpdater layerUpdater = ((BaseLayer) conf.getConf(i).getLayer()).getIUpdater();
      assertThat(layerUpdater).as("layer %d", i).isInstanceOf(type);
      ISchedule schedule = learningRateSchedule(layerUpdater);
      assertThat(schedule).as("layer %d", i).isNotNull();
      assertThat(schedule.valueAt(0, 0)).isCloseTo(0.05, within(1e-12));
      assertThat(schedule.valueAt(100, 0)).isCloseTo(0.05, within(1e-12));
      assertThat(schedule.valueAt(0, 1)).isCloseTo(0.025, within(1e-12));
      assertThat(schedule.valueAt(0, 2)).isCloseTo(0.0125, within(1e-12));
    }
  }

  @Test
  void nesterovsUsesMomentumNineTenths() {
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(16), 0.0),
        List.of(20), 4, LOSS,
        new TrainConfig.Updater(TrainConfig.UpdaterKind.NESTEROVS, 0.1, 1.0), 1);

    assertThat(((Nesterovs) ((BaseLayer) conf.getConf(0).getLayer()).getIUpdater())
        .getMomentum()).isEqualTo(0.9);
  }

  @Test
  void constantLearningRateWhenDecayIsOne() {
    MultiLayerConfiguration conf = ModelFactory.configuration(mlp(List.of(16), 0.0),
        List.of(20), 4, LOSS, new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.2, 1.0), 1);
    ISchedule schedule = learningRateSchedule(
        ((BaseLayer) conf.getConf(0).getLayer()).getIUpdater());

    assertThat(schedule.valueAt(0, 0)).isCloseTo(0.2, within(1e-12));
    assertThat(schedule.valueAt(50, 7)).isCloseTo(0.2, within(1e-12));
  }

  // ---- training -------------------------------------------------------------------------------

  @Test
  void fittingOnRandomDataLowersTheLoss() {
    Nd4j.getRandom().setSeed(12345);
    int classes = 4;
    int features = 20;
    Random rnd = new Random(99);
    List<Minibatches.Example> rows = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      float[] x = new float[features];
      for (int f = 0; f < features; f++) {
        x[f] = (float) rnd.nextGaussian();
      }
      float[] teacher = new float[classes];
      for (int c = 0; c < classes; c++) {
        teacher[c] = (float) (2 * rnd.nextGaussian());
      }
      Integer label = i % 4 == 3 ? null : rnd.nextInt(classes);
      rows.add(new Minibatches.Example(x, label, i % 5 == 4 ? null : teacher));
    }
    DataSet batch = new Minibatches(features, classes, new float[] {1f, 1f, 1f, 1f}, 0.5f)
        .pack(rows);
    MultiLayerNetwork network = ModelFactory.create(mlp(List.of(16, 8), 0.0), List.of(features),
        classes, new DistillationLoss(0.5, 2.0),
        new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.01, 1.0), 42);

    double before = network.score(batch);
    for (int step = 0; step < 50; step++) {
      network.fit(batch);
    }
    double after = network.score(batch);

    assertThat(before).isFinite().isPositive();
    assertThat(after).isFinite().isLessThan(before * 0.8);
  }
}
