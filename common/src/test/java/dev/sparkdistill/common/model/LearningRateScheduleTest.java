package dev.sparkdistill.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.config.TrainConfig.Schedule;
import dev.sparkdistill.common.loss.DistillationLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

class LearningRateScheduleTest {

  private static TrainConfig.Updater updater(Schedule schedule, double decay, double warmup,
      int epochs) {
    return new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.1, schedule, decay, 3, 0.5,
        warmup, 0, epochs);
  }

  @Test
  void exponentialDecaysOncePerEpoch() {
    LearningRateSchedule schedule = LearningRateSchedule.of(updater(Schedule.EXPONENTIAL, 0.5,
        0, 10), 100);

    assertThat(schedule.valueAt(0, 0)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(99, 0)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(250, 2)).isCloseTo(0.025, within(1e-12));
  }

  @Test
  void stepDropsByTheFactorEveryStepEpochs() {
    LearningRateSchedule schedule = LearningRateSchedule.of(updater(Schedule.STEP, 1, 0, 10),
        100);

    assertThat(schedule.valueAt(0, 0)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(250, 2)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(300, 3)).isCloseTo(0.05, within(1e-12));
    assertThat(schedule.valueAt(650, 6)).isCloseTo(0.025, within(1e-12));
  }

  @Test
  void cosineFallsStepByStepFromTheRateToZeroAtTheLastStep() {
    LearningRateSchedule schedule = LearningRateSchedule.of(updater(Schedule.COSINE, 1, 0, 4),
        100);

    assertThat(schedule.valueAt(0, 0)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(50, 0)).as("within the first epoch")
        .isCloseTo(0.05 * (1 + Math.cos(Math.PI * 0.5 / 4)), within(1e-12));
    assertThat(schedule.valueAt(200, 2)).as("halfway").isCloseTo(0.05, within(1e-12));
    assertThat(schedule.valueAt(399, 3)).as("last step").isLessThan(1e-5);
  }

  @Test
  void withoutStepCountsCosineMovesOncePerEpoch() {
    LearningRateSchedule schedule = LearningRateSchedule.of(updater(Schedule.COSINE, 1, 0, 4),
        0);

    assertThat(schedule.valueAt(50, 0)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(7, 2)).isCloseTo(0.05, within(1e-12));
  }

  @Test
  void aMiscountedStepNeverLeavesItsEpoch() {
    LearningRateSchedule schedule = LearningRateSchedule.of(updater(Schedule.COSINE, 1, 0, 4),
        100);

    // An engine that took more steps than counted: the step stays at the end of epoch 1 ...
    assertThat(schedule.valueAt(290, 1)).isCloseTo(0.05, within(1e-6));
    // ... and one that took fewer starts epoch 2 at its start.
    assertThat(schedule.valueAt(150, 2)).isCloseTo(0.05, within(1e-12));
  }

  @Test
  void warmUpRampsLinearlyThenTheCosineSpansTheRemainingEpochs() {
    LearningRateSchedule schedule = LearningRateSchedule.of(updater(Schedule.COSINE, 1, 1, 3),
        100);

    assertThat(schedule.valueAt(0, 0)).as("the first step moves").isCloseTo(0.001, within(1e-12));
    assertThat(schedule.valueAt(49, 0)).isCloseTo(0.05, within(1e-12));
    assertThat(schedule.valueAt(99, 0)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(100, 1)).as("peak after the warm-up")
        .isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(200, 2)).as("halfway through the 2 cosine epochs")
        .isCloseTo(0.05, within(1e-12));
  }

  @Test
  void aWarmUpWithAConstantRateEndsAtTheRate() {
    LearningRateSchedule schedule = LearningRateSchedule.of(updater(Schedule.EXPONENTIAL, 1,
        0.5, 10), 10);

    assertThat(schedule.valueAt(0, 0)).isCloseTo(0.02, within(1e-12));
    assertThat(schedule.valueAt(4, 0)).isCloseTo(0.1, within(1e-12));
    assertThat(schedule.valueAt(5000, 9)).isCloseTo(0.1, within(1e-12));
  }

  @Test
  void theScheduleAndTheWorkerScalingSurviveTheJsonWorkersRebuildTheNetworkFrom() {
    TrainConfig.Updater cosine = updater(Schedule.COSINE, 1, 1, 3);
    MultiLayerNetwork network = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(8),
        Activation.RELU, 0.0, WeightInit.XAVIER, List.of(), 3, 2, ""), List.of(5), 3,
        new DistillationLoss(0.5, 2), cosine, 1);

    ModelFactory.scheduleLearningRate(network, cosine, 100, 2, 100);
    MultiLayerConfiguration rebuilt = MultiLayerConfiguration.fromJson(
        network.getLayerWiseConfigurations().toJson());

    LearningRateSchedule expected = LearningRateSchedule.of(cosine, 100);
    for (int layer = 0; layer < 2; layer++) {
      BaseLayer conf = (BaseLayer) rebuilt.getConf(layer).getLayer();
      assertThat(conf.getIUpdater().getLearningRate(49, 0))
          .isCloseTo(expected.valueAt(49, 0) * 1.49, within(1e-12));
      assertThat(conf.getIUpdater().getLearningRate(200, 2))
          .isCloseTo(expected.valueAt(200, 2) * 2, within(1e-12));
    }
  }
}
