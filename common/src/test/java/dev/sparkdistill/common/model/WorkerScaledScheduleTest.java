package dev.sparkdistill.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.deeplearning4j.nn.weights.WeightInit;

class WorkerScaledScheduleTest {
  private static final TrainConfig.Updater ADAM =
      new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0);

  private static MultiLayerNetwork smallMlp() {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.MLP, List.of(8), Activation.RELU, 0.0,
        WeightInit.XAVIER, List.of(), 3, 2, "");
    return ModelFactory.create(spec, List.of(5), 3, new DistillationLoss(0.5, 2), ADAM, 1);
  }

  @Test
  void rampsLinearlyFromTheBaseRateToFactorTimesItOverTheWarmUp() {
    WorkerScaledSchedule schedule = new WorkerScaledSchedule(
        new ExponentialSchedule(ScheduleType.EPOCH, 0.01, 0.5), 4, 10);

    assertThat(schedule.valueAt(0, 0)).isCloseTo(0.01, within(1e-12));
    assertThat(schedule.valueAt(5, 0)).isCloseTo(0.025, within(1e-12));
    assertThat(schedule.valueAt(10, 0)).isCloseTo(0.04, within(1e-12));
    assertThat(schedule.valueAt(500, 0)).isCloseTo(0.04, within(1e-12));
    assertThat(schedule.valueAt(500, 2)).isCloseTo(0.01, within(1e-12)); // the decay still applies
    assertThat(new WorkerScaledSchedule(new ExponentialSchedule(ScheduleType.EPOCH, 0.01, 1), 2,
        0).valueAt(0, 0)).isCloseTo(0.02, within(1e-12));
  }

  @Test
  void aScaledNetworkKeepsItsScheduleThroughTheJsonWorkersRebuildItFrom() {
    MultiLayerNetwork network = smallMlp();

    ModelFactory.scheduleLearningRate(network, ADAM, 0, 2, 100);
    MultiLayerConfiguration rebuilt = MultiLayerConfiguration.fromJson(
        network.getLayerWiseConfigurations().toJson());

    for (int layer = 0; layer < 2; layer++) {
      BaseLayer conf = (BaseLayer) rebuilt.getConf(layer).getLayer();
      assertThat(conf.getIUpdater().getLearningRate(0, 0)).isCloseTo(0.001, within(1e-12));
      assertThat(conf.getIUpdater().getLearningRate(50, 0)).isCloseTo(0.0015, within(1e-12));
      assertThat(conf.getIUpdater().getLearningRate(100, 3)).isCloseTo(0.002, within(1e-12));
    }
  }

  @Test
  void oneWorkerKeepsTheConfiguredRate() {
    MultiLayerNetwork network = smallMlp();

    ModelFactory.scheduleLearningRate(network, ADAM, 0, 1, 100);

    BaseLayer conf = (BaseLayer) network.getLayerWiseConfigurations().getConf(0).getLayer();
    assertThat(conf.getIUpdater().getLearningRate(1000, 0)).isCloseTo(0.001, within(1e-12));
  }
}
