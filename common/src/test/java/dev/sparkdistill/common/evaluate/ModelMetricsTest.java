package dev.sparkdistill.common.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ModelMetricsTest {
  @Test
  void countsAccuracyTopKPerClassAndConfusion() {
    ModelMetrics m = new ModelMetrics(3, 2, 10);
    m.add(new float[] {3, 1, 0}, 0, null); // right
    m.add(new float[] {0, 2, 1}, 2, null); // wrong, label second best
    m.add(new float[] {0, 2, 5}, 1, null); // wrong, label second best
    m.add(new float[] {1, 0, 4}, 1, null); // wrong, label last

    assertThat(m.rows()).isEqualTo(4);
    assertThat(m.accuracy()).isEqualTo(0.25);
    assertThat(m.topKAccuracy()).isEqualTo(0.75);
    assertThat(m.perClassAccuracy()).containsExactly(1.0, 0.0, 0.0);
    assertThat(m.confusion()).isEqualTo(new long[][] {{1, 0, 0}, {0, 0, 2}, {0, 1, 0}});
  }

  @Test
  void nllIsTheMeanNegativeLogProbabilityOfTheLabel() {
    ModelMetrics m = new ModelMetrics(2, 1, 5);
    m.add(new float[] {0, 0}, 0, null);
    m.add(new float[] {(float) Math.log(3), 0}, 0, null);
    assertThat(m.nll()).isCloseTo((Math.log(2) + Math.log(4.0 / 3)) / 2, within(1e-6));
  }

  @Test
  void calibrationErrorIsZeroWhenConfidenceMatchesAccuracyAndLargeWhenOverconfident() {
    ModelMetrics calibrated = new ModelMetrics(2, 1, 10);
    // Confidence 0.75 (logit gap ln 3) and right 3 times out of 4.
    float gap = (float) Math.log(3);
    calibrated.add(new float[] {gap, 0}, 0, null);
    calibrated.add(new float[] {gap, 0}, 0, null);
    calibrated.add(new float[] {gap, 0}, 0, null);
    calibrated.add(new float[] {gap, 0}, 1, null);
    assertThat(calibrated.expectedCalibrationError()).isCloseTo(0, within(1e-6));

    ModelMetrics overconfident = new ModelMetrics(2, 1, 10);
    overconfident.add(new float[] {20, 0}, 1, null);
    overconfident.add(new float[] {20, 0}, 0, null);
    assertThat(overconfident.expectedCalibrationError()).isCloseTo(0.5, within(1e-6));
    assertThat(overconfident.reliability()[9][0]).isEqualTo(2);
  }

  @Test
  void agreementAndKlAgainstTheTeacher() {
    ModelMetrics same = new ModelMetrics(3, 1, 5);
    float[] z = {1, 2, 0.5f};
    same.add(z, 1, z);
    assertThat(same.teacherAgreement()).isEqualTo(1.0);
    assertThat(same.meanKlFromTeacher()).isCloseTo(0, within(1e-9));

    ModelMetrics other = new ModelMetrics(2, 1, 5);
    other.add(new float[] {0, 0}, 0, new float[] {(float) Math.log(3), 0});
    // KL((3/4, 1/4) || (1/2, 1/2)) = 3/4 ln(3/2) + 1/4 ln(1/2)
    assertThat(other.meanKlFromTeacher())
        .isCloseTo(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), within(1e-6));
    assertThat(new ModelMetrics(2, 1, 5).teacherAgreement()).isNaN();
  }

  @Test
  void mergeAddsUp() {
    ModelMetrics a = new ModelMetrics(2, 1, 5);
    a.add(new float[] {1, 0}, 0, null);
    ModelMetrics b = new ModelMetrics(2, 1, 5);
    b.add(new float[] {1, 0}, 1, null);
    assertThat(a.merge(b).rows()).isEqualTo(2);
    assertThat(a.accuracy()).isEqualTo(0.5);
    assertThat(a.confusion()).isEqualTo(new long[][] {{1, 0}, {1, 0}});
  }
}
