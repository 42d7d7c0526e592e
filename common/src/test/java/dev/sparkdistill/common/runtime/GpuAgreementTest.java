package dev.sparkdistill.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GpuAgreementTest {

  @Test
  void resultsWithinTheBoundsAgree() {
    assertThat(new GpuAgreement(0.8245, 0.8301, 2e-6, 9e-4).disagreements()).isEmpty();
  }

  @Test
  void accuraciesMoreThanAPointApartDisagree() {
    assertThat(new GpuAgreement(0.8245, 0.8110, 0, 0).disagreements()).containsExactly(
        "test accuracy 0.8110 on the GPU against 0.8245 on the CPU: more than 0.01 apart");
  }

  @Test
  void logitsBeyondTheToleranceDisagreeNamingTheScorer() {
    assertThat(new GpuAgreement(0.8, 0.8, 2e-3, Double.NaN).disagreements()).containsExactly(
        "ND4J's logits of one network differ by 2.00e-03 between GPU and CPU (bound 1e-03)",
        "ONNX Runtime's logits on the GPU's side differ by NaN from ND4J's on the CPU "
            + "(bound 1e-03)");
  }

  @Test
  void logitDifferenceIsRelativeAboveOne() {
    float[][] cpu = {{10f, -0.5f}, {0.2f, 100f}};
    float[][] gpu = {{10.005f, -0.5004f}, {0.2f, 100.02f}};

    // 0.005 / 10 = 5e-4, 0.0004 absolute, 0.02 / 100 = 2e-4
    assertThat(GpuAgreement.logitDiff(cpu, gpu)).isBetween(4.99e-4, 5.01e-4);
  }

  @Test
  void differentShapesOrNaNAreInfinitelyApart() {
    assertThat(GpuAgreement.logitDiff(new float[][] {{1f}}, new float[][] {{1f}, {2f}}))
        .isInfinite();
    assertThat(GpuAgreement.logitDiff(new float[][] {{1f, 2f}}, new float[][] {{1f}}))
        .isInfinite();
    assertThat(GpuAgreement.logitDiff(new float[][] {{1f}}, new float[][] {{Float.NaN}}))
        .isInfinite();
  }
}
