package dev.sparkdistill.common.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

class DistillationLossTest {
  private static final int C = 4;
  private static final IActivation IDENTITY = new ActivationIdentity();

  private DataType previousDataType;
  private DataType previousFloatingType;

  @BeforeEach
  void doublePrecision() {
    previousDataType = Nd4j.dataType();
    previousFloatingType = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @AfterEach
  void restorePrecision() {
    Nd4j.setDefaultDataTypes(previousDataType, previousFloatingType);
  }

  static Stream<Arguments> alphaAndTemperature() {
    return Stream.of(Arguments.of(0.0, 1.0), Arguments.of(1.0, 1.0), Arguments.of(0.5, 1.0),
        Arguments.of(0.5, 20.0), Arguments.of(0.3, 3.0), Arguments.of(1.0, 20.0),
        Arguments.of(0.0, 20.0), Arguments.of(0.9, 0.5));
  }

  // ---- 1. score against a plain-Java reference ----

  @ParameterizedTest(name = "alpha={0}, T={1}")
  @MethodSource("alphaAndTemperature")
  void scoreMatchesReference(double alpha, double t) {
    Random rnd = new Random(Double.hashCode(alpha) * 31L + Double.hashCode(t));
    double[][] logits = randomMatrix(rnd, 12, C, 3.0);
    double[][] labels = mixedLabels(rnd, 12);
    DistillationLoss loss = new DistillationLoss(alpha, t);

    INDArray scores = loss.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);

    assertThat(scores.shape()).containsExactly(12L, 1L);
    double[] expected = referenceScores(labels, logits, alpha, t);
    for (int i = 0; i < expected.length; i++) {
      assertThat(scores.getDouble(i, 0)).as("row %d", i)
          .isCloseTo(expected[i], within(1e-10 * Math.max(1, Math.abs(expected[i]))));
    }
    double sum = 0;
    for (double e : expected) {
      sum += e;
    }
    assertThat(loss.computeScore(Nd4j.create(labels), Nd4j.create(logits), IDENTITY, null, false))
        .isCloseTo(sum, within(1e-9 * Math.max(1, Math.abs(sum))));
    assertThat(loss.computeScore(Nd4j.create(labels), Nd4j.create(logits), IDENTITY, null, true))
        .isCloseTo(sum / 12, within(1e-9 * Math.max(1, Math.abs(sum))));
  }

  @Test
  void scoreDoesNotAlterItsInputs() {
    Random rnd = new Random(5);
    INDArray logits = Nd4j.create(randomMatrix(rnd, 6, C, 2.0));
    INDArray labels = Nd4j.create(mixedLabels(rnd, 6));
    INDArray logitsCopy = logits.dup();
    INDArray labelsCopy = labels.dup();
    DistillationLoss loss = new DistillationLoss(0.5, 2.0);

    loss.computeScoreArray(labels, logits, IDENTITY, null);
    loss.computeGradient(labels, logits, IDENTITY, null);

    assertThat(logits).isEqualTo(logitsCopy);
    assertThat(labels).isEqualTo(labelsCopy);
  }

  @Test
  void computeGradientAndScoreAgreesWithTheParts() {
    Random rnd = new Random(6);
    INDArray logits = Nd4j.create(randomMatrix(rnd, 6, C, 2.0));
    INDArray labels = Nd4j.create(mixedLabels(rnd, 6));
    DistillationLoss loss = new DistillationLoss(0.4, 2.5);

    var both = loss.computeGradientAndScore(labels, logits, IDENTITY, null, true);

    assertThat(both.getFirst())
        .isEqualTo(loss.computeScore(labels, logits, IDENTITY, null, true));
    assertThat(both.getSecond()).isEqualTo(loss.computeGradient(labels, logits, IDENTITY, null));
  }

  @Test
  void rejectsLabelsOfTheWrongWidth() {
    DistillationLoss loss = new DistillationLoss(0.5, 2.0);

    assertThatThrownBy(() -> loss.computeScoreArray(Nd4j.zeros(DataType.DOUBLE, 2, 2 * C),
        Nd4j.zeros(DataType.DOUBLE, 2, C), IDENTITY, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("distillation labels need 9 columns for 4 classes "
            + "([hard | teacher logits | kd weight]), got 8");
  }

  @Test
  void labelSmoothingIsTheLossOnTargetsWithTheSmoothedShareSpreadOverTheClasses() {
    Random rnd = new Random(23);
    double[][] logits = randomMatrix(rnd, 12, C, 3.0);
    double[][] labels = mixedLabels(rnd, 12);
    double e = 0.2;
    double[][] smoothed = copy(labels);
    for (double[] row : smoothed) {
      double weight = 0;
      for (int j = 0; j < C; j++) {
        weight += row[j];
      }
      for (int j = 0; j < C; j++) {
        row[j] = (1 - e) * row[j] + e * weight / C;
      }
    }
    DistillationLoss withSmoothing = new DistillationLoss(0.4, 2.0, e);
    DistillationLoss plain = new DistillationLoss(0.4, 2.0);

    INDArray scores = withSmoothing.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits),
        IDENTITY, null);
    INDArray grad = withSmoothing.computeGradient(Nd4j.create(labels), Nd4j.create(logits),
        IDENTITY, null);

    assertThat(scores.toDoubleVector()).containsExactly(plain.computeScoreArray(
        Nd4j.create(smoothed), Nd4j.create(logits), IDENTITY, null).toDoubleVector(),
        within(1e-12));
    assertThat(grad.ravel().toDoubleVector()).containsExactly(plain.computeGradient(
        Nd4j.create(smoothed), Nd4j.create(logits), IDENTITY, null).ravel().toDoubleVector(),
        within(1e-12));
    assertThat(scores.getDouble(0, 0)).as("smoothing changes the loss")
        .isNotCloseTo(plain.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits),
            IDENTITY, null).getDouble(0, 0), within(1e-6));
    assertMatchesFiniteDifferences(withSmoothing, labels, logits, null, grad);
  }

  @Test
  void aModelSavedWithoutLabelSmoothingReadsAsNone() {
    String json = smallNet(new NoOp()).getLayerWiseConfigurations().toJson();
    assertThat(json).contains("\"labelSmoothing\" : 0.0");

    // The JSON an older model carries: the property and its separating comma gone.
    String older = json.replaceAll(",\\s*\"labelSmoothing\" : 0\\.0", "")
        .replaceAll("\"labelSmoothing\" : 0\\.0,\\s*", "");
    assertThat(older).doesNotContain("labelSmoothing");
    MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(older);

    assertThat(back.toJson()).isEqualTo(json);
    assertThat(((OutputLayer) back.getConf(1).getLayer()).getLossFn())
        .isEqualTo(new DistillationLoss(0.6, 3.0));
  }

  // ---- 2. gradient against central finite differences ----

  @ParameterizedTest(name = "alpha={0}, T={1}")
  @MethodSource("alphaAndTemperature")
  void gradientMatchesFiniteDifferences(double alpha, double t) {
    Random rnd = new Random(17 + Double.hashCode(alpha) + 7L * Double.hashCode(t));
    double[][] logits = randomMatrix(rnd, 12, C, 3.0);
    double[][] labels = mixedLabels(rnd, 12);
    DistillationLoss loss = new DistillationLoss(alpha, t);

    INDArray grad = loss.computeGradient(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);

    assertMatchesFiniteDifferences(loss, labels, logits, null, grad);
  }

  @Test
  void maskedRowsHaveZeroScoreAndGradient() {
    Random rnd = new Random(23);
    double[][] logits = randomMatrix(rnd, 12, C, 3.0);
    double[][] labels = mixedLabels(rnd, 12);
    double[][] maskValues = new double[12][1];
    for (int i = 0; i < 12; i++) {
      maskValues[i][0] = i % 3 == 1 ? 0 : 1;
    }
    INDArray mask = Nd4j.create(maskValues);
    DistillationLoss loss = new DistillationLoss(0.6, 4.0);

    INDArray masked = loss.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        mask);
    INDArray unmasked = loss.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits),
        IDENTITY, null);
    INDArray grad = loss.computeGradient(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        mask);
    INDArray fullGrad = loss.computeGradient(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);

    for (int i = 0; i < 12; i++) {
      if (maskValues[i][0] == 0) {
        assertThat(masked.getDouble(i, 0)).as("score row %d", i).isZero();
        for (int j = 0; j < C; j++) {
          assertThat(grad.getDouble(i, j)).as("grad [%d,%d]", i, j).isZero();
        }
      } else {
        assertThat(masked.getDouble(i, 0)).isEqualTo(unmasked.getDouble(i, 0));
        for (int j = 0; j < C; j++) {
          assertThat(grad.getDouble(i, j)).isEqualTo(fullGrad.getDouble(i, j));
        }
      }
    }
    assertMatchesFiniteDifferences(loss, labels, logits, mask, grad);
  }

  // ---- 3. which term each kind of row gets ----

  @ParameterizedTest(name = "alpha={0}, T={1}")
  @MethodSource("alphaAndTemperature")
  void unlabeledRowsGetOnlyTheKdTerm(double alpha, double t) {
    Random rnd = new Random(29);
    double[][] logits = randomMatrix(rnd, 5, C, 3.0);
    double[][] labels = new double[5][2 * C + 1];
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < C; j++) {
        labels[i][C + j] = rnd.nextGaussian() * 3;
      }
      labels[i][2 * C] = 0.25 + i * 0.3;
    }

    INDArray scores = new DistillationLoss(alpha, t).computeScoreArray(Nd4j.create(labels),
        Nd4j.create(logits), IDENTITY, null);

    for (int i = 0; i < 5; i++) {
      double[] z = new double[C];
      System.arraycopy(labels[i], C, z, 0, C);
      double expected = alpha * labels[i][2 * C] * t * t * kl(z, logits[i], t);
      assertThat(scores.getDouble(i, 0)).isCloseTo(expected, within(1e-10));
    }
  }

  @ParameterizedTest(name = "alpha={0}, T={1}")
  @MethodSource("alphaAndTemperature")
  void rowsWithoutTeacherGetOnlyTheCeTerm(double alpha, double t) {
    Random rnd = new Random(31);
    double[][] logits = randomMatrix(rnd, 5, C, 3.0);
    double[][] labels = new double[5][2 * C + 1];
    for (int i = 0; i < 5; i++) {
      labels[i][i % C] = 0.5 + i;
      // Teacher logits present but u = 0: they must not count.
      for (int j = 0; j < C; j++) {
        labels[i][C + j] = rnd.nextGaussian() * 3;
      }
    }

    INDArray scores = new DistillationLoss(alpha, t).computeScoreArray(Nd4j.create(labels),
        Nd4j.create(logits), IDENTITY, null);

    for (int i = 0; i < 5; i++) {
      double expected = (1 - alpha) * -labels[i][i % C] * logSoftmax(logits[i], 1)[i % C];
      assertThat(scores.getDouble(i, 0)).isCloseTo(expected, within(1e-10));
    }
  }

  @Test
  void alphaZeroIsPlainSoftmaxCrossEntropy() {
    Random rnd = new Random(37);
    int n = 10;
    double[][] logits = randomMatrix(rnd, n, C, 2.0);
    double[][] labels = new double[n][2 * C + 1];
    double[][] oneHot = new double[n][C];
    for (int i = 0; i < n; i++) {
      int label = rnd.nextInt(C);
      labels[i][label] = 1;
      oneHot[i][label] = 1;
      for (int j = 0; j < C; j++) {
        labels[i][C + j] = rnd.nextGaussian() * 3;
      }
      labels[i][2 * C] = 1;
    }
    DistillationLoss loss = new DistillationLoss(0.0, 5.0);
    LossMCXENT xent = new LossMCXENT();
    ActivationSoftmax softmax = new ActivationSoftmax();

    INDArray ours = loss.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);
    INDArray theirs = xent.computeScoreArray(Nd4j.create(oneHot), Nd4j.create(logits), softmax,
        null);
    INDArray ourGrad = loss.computeGradient(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);
    INDArray theirGrad = xent.computeGradient(Nd4j.create(oneHot), Nd4j.create(logits), softmax,
        null);

    for (int i = 0; i < n; i++) {
      assertThat(ours.getDouble(i, 0)).isCloseTo(theirs.getDouble(i, 0), within(1e-8));
      for (int j = 0; j < C; j++) {
        assertThat(ourGrad.getDouble(i, j)).isCloseTo(theirGrad.getDouble(i, j), within(1e-8));
      }
    }
    assertThat(loss.computeScore(Nd4j.create(labels), Nd4j.create(logits), IDENTITY, null, true))
        .isCloseTo(xent.computeScore(Nd4j.create(oneHot), Nd4j.create(logits), softmax, null,
            true), within(1e-8));
  }

  @Test
  void identicalTeacherAndStudentGiveZeroKdTermAndGradient() {
    Random rnd = new Random(41);
    double[][] logits = randomMatrix(rnd, 3, C, 3.0);
    double[][] labels = new double[3][2 * C + 1];
    for (int i = 0; i < 3; i++) {
      System.arraycopy(logits[i], 0, labels[i], C, C);
      labels[i][2 * C] = 1;
    }
    DistillationLoss loss = new DistillationLoss(1.0, 4.0);

    INDArray scores = loss.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);
    INDArray grad = loss.computeGradient(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);

    assertThat(scores.amaxNumber().doubleValue()).isLessThan(1e-12);
    assertThat(grad.amaxNumber().doubleValue()).isLessThan(1e-12);
  }

  // ---- 4. numerical stability ----

  @ParameterizedTest(name = "alpha={0}, T={1}")
  @MethodSource("alphaAndTemperature")
  void hugeLogitsStayFinite(double alpha, double t) {
    double[][] logits = {
        {1e4, -1e4, 0, 1e4}, {-1e4, -1e4, -1e4, -1e4}, {1e4, 1e4, 1e4, 1e4},
        {-1e4, 1e4, -1e4, 5e3}};
    double[][] labels = new double[4][2 * C + 1];
    double[][] teacher = {{-1e4, 1e4, 0, 0}, {1e4, -1e4, 0, 1e4}, {0, 0, 0, 0},
        {1e4, -1e4, -1e4, -1e4}};
    int[] label = {1, 2, -1, 0};
    for (int i = 0; i < 4; i++) {
      if (label[i] >= 0) {
        labels[i][label[i]] = 1;
      }
      System.arraycopy(teacher[i], 0, labels[i], C, C);
      labels[i][2 * C] = i == 2 ? 0.5 : 1;
    }
    DistillationLoss loss = new DistillationLoss(alpha, t);

    INDArray scores = loss.computeScoreArray(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);
    INDArray grad = loss.computeGradient(Nd4j.create(labels), Nd4j.create(logits), IDENTITY,
        null);

    double[] expected = referenceScores(labels, logits, alpha, t);
    for (int i = 0; i < 4; i++) {
      assertThat(scores.getDouble(i, 0)).isFinite()
          .isCloseTo(expected[i], within(1e-9 * Math.max(1, Math.abs(expected[i]))));
      for (int j = 0; j < C; j++) {
        assertThat(grad.getDouble(i, j)).isFinite();
      }
    }
  }

  @Test
  void hugeLogitsStayFiniteInFloat() {
    INDArray logits = Nd4j.create(new float[][] {{1e4f, -1e4f, 0f}, {-1e4f, 1e4f, 1e4f}});
    INDArray labels = Nd4j.create(new float[][] {
        {0, 1, 0, 1e4f, -1e4f, 0, 1}, {0, 0, 0, -1e4f, -1e4f, 1e4f, 0.5f}});
    DistillationLoss loss = new DistillationLoss(0.5, 2.0);

    INDArray scores = loss.computeScoreArray(labels, logits, IDENTITY, null);
    INDArray grad = loss.computeGradient(labels, logits, IDENTITY, null);

    assertThat(scores.dataType()).isEqualTo(DataType.FLOAT);
    assertThat(java.util.Arrays.stream(scores.ravel().toDoubleVector()).allMatch(Double::isFinite)).isTrue();
    assertThat(java.util.Arrays.stream(grad.ravel().toDoubleVector()).allMatch(Double::isFinite)).isTrue();
  }

  // ---- 5. DL4J gradient check on a network ----

  @Test
  void networkGradientCheckPasses() {
    MultiLayerNetwork net = smallNet(new NoOp());
    Random rnd = new Random(42);
    INDArray x = Nd4j.create(randomMatrix(rnd, 8, 4, 1.0));
    INDArray y = Nd4j.create(filledLabels(rnd, 8, 3));

    boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
        .input(x).labels(y).epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8));

    assertThat(ok).isTrue();
  }

  // ---- 6. serialization ----

  @Test
  void configJsonRoundTripsTheLoss() {
    MultiLayerNetwork net = smallNet(new NoOp());
    String json = net.getLayerWiseConfigurations().toJson();

    MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);

    OutputLayer out = (OutputLayer) back.getConf(1).getLayer();
    assertThat(out.getLossFn()).isInstanceOf(DistillationLoss.class)
        .isEqualTo(new DistillationLoss(0.6, 3.0));
    DistillationLoss loss = (DistillationLoss) out.getLossFn();
    assertThat(loss.alpha()).isEqualTo(0.6);
    assertThat(loss.temperature()).isEqualTo(3.0);
    assertThat(back.toJson()).isEqualTo(json);
    assertThat(back).isEqualTo(net.getLayerWiseConfigurations());
  }

  @Test
  void modelSerializerRoundTripsParamsUpdaterAndOutput(@TempDir Path dir) throws Exception {
    MultiLayerNetwork net = smallNet(new Adam(0.01));
    Random rnd = new Random(7);
    INDArray x = Nd4j.create(randomMatrix(rnd, 8, 4, 1.0));
    INDArray y = Nd4j.create(filledLabels(rnd, 8, 3));
    DataSet ds = new DataSet(x, y);
    net.fit(ds);
    net.fit(ds);
    File file = dir.resolve("net.zip").toFile();

    ModelSerializer.writeModel(net, file, true);
    MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(file, true);

    assertThat(back.params()).isEqualTo(net.params());
    INDArray state = net.getUpdater().getStateViewArray();
    assertThat(state).isNotNull();
    assertThat(state.sumNumber().doubleValue()).isNotZero();
    assertThat(back.getUpdater().getStateViewArray()).isEqualTo(state);
    assertThat(back.output(x)).isEqualTo(net.output(x));
    assertThat(((OutputLayer) back.getLayerWiseConfigurations().getConf(1).getLayer())
        .getLossFn()).isEqualTo(new DistillationLoss(0.6, 3.0));
    assertThat(back.score(ds)).isEqualTo(net.score(ds));
  }

  // ---- 7. constructor, equals, hashCode ----

  @Test
  void constructorRejectsAlphaOutsideUnitInterval() {
    assertThatThrownBy(() -> new DistillationLoss(-0.1, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("alpha must be in [0, 1], got -0.1");
    assertThatThrownBy(() -> new DistillationLoss(1.5, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("alpha must be in [0, 1], got 1.5");
    assertThatThrownBy(() -> new DistillationLoss(Double.NaN, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("alpha must be in [0, 1], got NaN");
  }

  @Test
  void constructorRejectsNonPositiveTemperature() {
    assertThatThrownBy(() -> new DistillationLoss(0.5, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("temperature must be > 0, got 0.0");
    assertThatThrownBy(() -> new DistillationLoss(0.5, -2.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("temperature must be > 0, got -2.0");
    assertThatThrownBy(() -> new DistillationLoss(0.5, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("temperature must be > 0, got NaN");
  }

  @Test
  void constructorAcceptsTheBounds() {
    assertThat(new DistillationLoss(0.0, 1e-3).alpha()).isZero();
    assertThat(new DistillationLoss(1.0, 100.0).alpha()).isEqualTo(1.0);
    assertThat(new DistillationLoss()).isEqualTo(new DistillationLoss(0.0, 1.0));
  }

  @Test
  void constructorRejectsInfiniteTemperature() {
    assertThatThrownBy(() -> new DistillationLoss(0.5, Double.POSITIVE_INFINITY))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void equalsAndHashCode() {
    DistillationLoss a = new DistillationLoss(0.6, 3.0);

    assertThat(a).isEqualTo(new DistillationLoss(0.6, 3.0))
        .hasSameHashCodeAs(new DistillationLoss(0.6, 3.0))
        .isNotEqualTo(new DistillationLoss(0.7, 3.0))
        .isNotEqualTo(new DistillationLoss(0.6, 2.0))
        .isNotEqualTo(new LossMCXENT())
        .isNotEqualTo(null);
    assertThat(a.toString()).isEqualTo("DistillationLoss(alpha=0.6, T=3.0)");
    assertThat(a.name()).isEqualTo(a.toString());
  }

  @Test
  void equalObjectsHaveEqualHashCodesForNegativeZero() {
    DistillationLoss plus = new DistillationLoss(0.0, 1.0);
    DistillationLoss minus = new DistillationLoss(-0.0, 1.0);

    assertThat(minus).isEqualTo(plus);
    assertThat(minus.hashCode()).isEqualTo(plus.hashCode());
  }

  // ---- helpers ----

  private static MultiLayerNetwork smallNet(org.nd4j.linalg.learning.config.IUpdater updater) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .dataType(DataType.DOUBLE).seed(42).updater(updater)
        .list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(new DistillationLoss(0.6, 3.0)).nIn(5).nOut(3)
            .activation(Activation.IDENTITY).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** Rows built by DistillationLabels.fill: labeled+teacher, unlabeled, no teacher, weighted. */
  private static double[][] filledLabels(Random rnd, int rows, int classes) {
    float[] classWeights = new float[classes];
    for (int c = 0; c < classes; c++) {
      classWeights[c] = 0.5f + c;
    }
    int width = DistillationLabels.width(classes);
    float[] flat = new float[rows * width];
    for (int i = 0; i < rows; i++) {
      float[] teacher = new float[classes];
      for (int c = 0; c < classes; c++) {
        teacher[c] = (float) (rnd.nextGaussian() * 2);
      }
      Integer label = i % 3 == 1 ? null : rnd.nextInt(classes);
      float[] t = i % 3 == 2 ? null : teacher;
      DistillationLabels.fill(flat, i * width, classes, label, t, classWeights, 0.4f);
    }
    double[][] out = new double[rows][width];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < width; j++) {
        out[i][j] = flat[i * width + j];
      }
    }
    return out;
  }

  /** Labeled+teacher, weighted labeled+teacher, unlabeled, no teacher, and empty rows. */
  private static double[][] mixedLabels(Random rnd, int rows) {
    double[][] labels = new double[rows][2 * C + 1];
    for (int i = 0; i < rows; i++) {
      int kind = i % 6;
      int label = rnd.nextInt(C);
      boolean labeled = kind != 2 && kind != 5;
      boolean teacher = kind <= 2;
      if (labeled) {
        labels[i][label] = kind == 1 ? 2.5 : kind == 4 ? 0.7 : 1.0;
      }
      if (teacher) {
        for (int j = 0; j < C; j++) {
          labels[i][C + j] = rnd.nextGaussian() * 3;
        }
        labels[i][2 * C] = labeled ? 1.0 : 0.3;
      }
    }
    return labels;
  }

  private static void assertMatchesFiniteDifferences(DistillationLoss loss, double[][] labels,
      double[][] logits, INDArray mask, INDArray grad) {
    double eps = 1e-6;
    INDArray lab = Nd4j.create(labels);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < logits.length; i++) {
      for (int j = 0; j < logits[i].length; j++) {
        double[][] plus = copy(logits);
        double[][] minus = copy(logits);
        plus[i][j] += eps;
        minus[i][j] -= eps;
        // Only row i depends on logit [i, j]; its own score keeps the round-off small.
        double sPlus = loss.computeScoreArray(lab, Nd4j.create(plus), IDENTITY, mask)
            .getDouble(i, 0);
        double sMinus = loss.computeScoreArray(lab, Nd4j.create(minus), IDENTITY, mask)
            .getDouble(i, 0);
        double numeric = (sPlus - sMinus) / (2 * eps);
        double analytic = grad.getDouble(i, j);
        double diff = Math.abs(numeric - analytic);
        double scale = Math.max(Math.abs(numeric), Math.abs(analytic));
        // Relative error < 1e-5; differences below 1e-8 (round-off of the difference quotient,
        // ~1e-16 * |score| / eps) pass, as DL4J's minAbsoluteError does.
        if (diff > 1e-8 && diff / scale >= 1e-5) {
          failures.add("[" + i + "," + j + "] analytic " + analytic + " numeric " + numeric);
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  private static double[][] copy(double[][] a) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].clone();
    }
    return out;
  }

  private static double[][] randomMatrix(Random rnd, int rows, int cols, double scale) {
    double[][] out = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[i][j] = rnd.nextGaussian() * scale;
      }
    }
    return out;
  }

  // ---- plain-Java reference ----

  static double[] referenceScores(double[][] labels, double[][] logits, double alpha, double t) {
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      int c = logits[i].length;
      double[] y = new double[c];
      double[] z = new double[c];
      System.arraycopy(labels[i], 0, y, 0, c);
      System.arraycopy(labels[i], c, z, 0, c);
      double u = labels[i][2 * c];
      double[] ls = logSoftmax(logits[i], 1);
      double ce = 0;
      for (int j = 0; j < c; j++) {
        ce -= y[j] * ls[j];
      }
      out[i] = (1 - alpha) * ce + alpha * u * t * t * kl(z, logits[i], t);
    }
    return out;
  }

  /** KL(softmax(z / T) || softmax(s / T)). */
  static double kl(double[] z, double[] s, double t) {
    double[] lq = logSoftmax(z, t);
    double[] lp = logSoftmax(s, t);
    double sum = 0;
    for (int j = 0; j < z.length; j++) {
      sum += Math.exp(lq[j]) * (lq[j] - lp[j]);
    }
    return sum;
  }

  static double[] logSoftmax(double[] x, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      max = Math.max(max, v / t);
    }
    double sum = 0;
    for (double v : x) {
      sum += Math.exp(v / t - max);
    }
    double log = Math.log(sum);
    double[] out = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      out[j] = x[j] / t - max - log;
    }
    return out;
  }
}
