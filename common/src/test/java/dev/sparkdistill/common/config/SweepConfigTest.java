package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.data.Split;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SweepConfigTest {
  private static final String MINIMAL = "train { input = targets, epochs = 3 }\n"
      + "sweep { output = grid }";

  private static SweepConfig sweep(String... settings) {
    return SweepConfig.from(ConfigLayers.resolve(Optional.of(MINIMAL), "test.conf",
        List.of(settings)));
  }

  @Test
  void everyTemperatureAndAlphaIsOneStudentButAlphaZeroIsOneBaseline() {
    SweepConfig config = sweep("sweep.temperatures=[2, 4.5]", "sweep.alphas=[0, 0.5, 0.9]");

    assertThat(config.points()).extracting(SweepConfig.Point::name)
        .containsExactly("baseline", "T2-a0.5", "T4.5-a0.5", "T2-a0.9", "T4.5-a0.9");
    assertThat(config.split()).isEqualTo(Split.VALIDATION);
    assertThat(config.mode()).isEqualTo(WriteMode.REFRESH);
    assertThat(config.input()).isEqualTo("targets");
  }

  @Test
  void eachStudentTrainsWithTheTrainSectionAndItsOwnTemperatureAlphaAndOutput() {
    SweepConfig.Point point = sweep("sweep.temperatures=[3]", "sweep.alphas=[0.7]",
        "sweep.mode=overwrite").points().get(0);

    TrainConfig train = point.train();
    assertThat(train.temperature()).isEqualTo(3.0);
    assertThat(train.alpha()).isEqualTo(0.7);
    assertThat(train.output()).isEqualTo("grid/T3-a0.7");
    assertThat(train.mode()).isEqualTo(WriteMode.OVERWRITE);
    assertThat(train.epochs()).isEqualTo(3);
    assertThat(train.input()).isEqualTo("targets");
  }

  @Test
  void studentsOfOneGridHaveDifferentConfigDigests() {
    List<SweepConfig.Point> points = sweep("sweep.temperatures=[1, 2]",
        "sweep.alphas=[0.5]").points();
    assertThat(points.get(0).train().configDigest())
        .isNotEqualTo(points.get(1).train().configDigest());
  }

  @Test
  void refusesBadGrids() {
    assertThatThrownBy(() -> sweep("sweep.temperatures=[]"))
        .hasMessage("sweep.temperatures is empty: give at least one value");
    assertThatThrownBy(() -> sweep("sweep.temperatures=[0]"))
        .hasMessage("sweep.temperatures must be a list of temperatures > 0, got 0");
    assertThatThrownBy(() -> sweep("sweep.alphas=[0.5, 1.5]"))
        .hasMessage("sweep.alphas must be a list of alphas in [0, 1], got 1.5");
    assertThatThrownBy(() -> sweep("sweep.split=train"))
        .hasMessageStartingWith("sweep.split must be validation or test");
    assertThatThrownBy(() -> SweepConfig.from(ConfigLayers.resolve(Optional.of(
        "train.input = targets"), "test.conf", List.of())))
        .hasMessageStartingWith("sweep.output is required");
  }
}
