package dev.sparkdistill.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ConvolutionHelpersTest {
  private static final TrainConfig.Updater ADAM =
      new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0);

  @ParameterizedTest(name = "batch norm {0}")
  @ValueSource(booleans = {false, true})
  void theHelpersGiveTheBuiltInOutputsGradientsAndRunningStatistics(boolean batchNorm) {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.CNN, List.of(16), Activation.RELU, 0.0,
        WeightInit.RELU, List.of(4, 6), 3, 2, batchNorm, false, "");
    MultiLayerNetwork helped = ModelFactory.create(spec, List.of(1, 10, 10), 3,
        new DistillationLoss(0.5, 2), ADAM, 5);
    MultiLayerNetwork builtIn = new MultiLayerNetwork(helped.getLayerWiseConfigurations().clone());
    builtIn.init(helped.params().dup(), true);
    assertThat(ConvolutionHelpers.attached(helped)).isTrue();
    assertThat(ConvolutionHelpers.attached(builtIn)).isFalse();
    assertThat(Arrays.stream(helped.getLayers()).map(ConvolutionHelpers::helper)
        .filter(Objects::nonNull).map(h -> h.getClass().getSimpleName()))
        .as("a helper on each convolution, and on each batch norm when there is one")
        .containsExactlyElementsOf(batchNorm
            ? List.of("MKLDNNConvHelper", "MKLDNNBatchNormHelper", "MKLDNNConvHelper",
                "MKLDNNBatchNormHelper")
            : List.of("MKLDNNConvHelper", "MKLDNNConvHelper"));

    Nd4j.getRandom().setSeed(3);
    INDArray x = Nd4j.rand(DataType.FLOAT, 8, 100);
    float[] labels = new float[8 * 7];
    for (int i = 0; i < 8; i++) {
      labels[i * 7 + i % 3] = 1;
      labels[i * 7 + 3 + (i + 1) % 3] = 2f;
      labels[i * 7 + 6] = 1;
    }
    INDArray y = Nd4j.create(labels, new long[] {8, 7}, 'c');

    assertThat(maxDifference(helped.output(x, false), builtIn.output(x, false))).isLessThan(1e-4);
    assertThat(maxDifference(gradient(helped, x, y), gradient(builtIn, x, y))).isLessThan(1e-4);
    // A few steps: the weights, and batch norm's running means and variances, move alike.
    for (int step = 0; step < 3; step++) {
      helped.fit(x, y);
      builtIn.fit(x, y);
    }
    assertThat(maxDifference(helped.params(), builtIn.params())).isLessThan(1e-4);
    assertThat(maxDifference(helped.output(x, false), builtIn.output(x, false))).isLessThan(1e-4);
  }

  @Test
  void anMlpHasNothingToAttach() {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.MLP, List.of(8), Activation.RELU, 0.0,
        WeightInit.XAVIER, List.of(), 3, 2, "");
    MultiLayerNetwork network = ModelFactory.create(spec, List.of(5), 3,
        new DistillationLoss(0.5, 2), ADAM, 1);
    assertThat(ConvolutionHelpers.attached(network)).isFalse();
  }

  private static INDArray gradient(MultiLayerNetwork network, INDArray x, INDArray y) {
    network.setInput(x);
    network.setLabels(y);
    network.computeGradientAndScore();
    return network.gradient().gradient().dup();
  }

  private static double maxDifference(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }
}
