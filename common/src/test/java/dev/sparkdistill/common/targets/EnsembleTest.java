package dev.sparkdistill.common.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EnsembleTest {

  private static double[] softmaxByHand(double... z) {
    double sum = 0;
    for (double v : z) {
      sum += Math.exp(v);
    }
    double[] p = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i]) / sum;
    }
    return p;
  }

  // ---- combine --------------------------------------------------------------------------------

  @Test
  void oneTeacherIsReturnedAsACopyOfItsLogits() {
    float[] logits = {1.5f, -2f, 0.25f};
    for (Ensemble.Rule rule : Ensemble.Rule.values()) {
      float[] combined = Ensemble.combine(new float[][] {logits}, rule);

      assertThat(combined).containsExactly(1.5f, -2f, 0.25f).isNotSameAs(logits);
      combined[0] = 99f;
      assertThat(logits[0]).isEqualTo(1.5f);
    }
  }

  @Test
  void meanLogitsIsTheClassWiseAverageOfTheTeachersLogits() {
    float[] combined = Ensemble.combine(new float[][] {
        {1f, 2f, -3f},
        {3f, -2f, 0f},
        {2f, 3f, 6f}}, Ensemble.Rule.MEAN_LOGITS);

    assertThat(combined[0]).isCloseTo(2f, within(1e-6f));
    assertThat(combined[1]).isCloseTo(1f, within(1e-6f));
    assertThat(combined[2]).isCloseTo(1f, within(1e-6f));
  }

  @Test
  void meanProbabilitiesIsTheLogOfTheAveragedSoftmaxes() {
    float[] a = {1f, 2f, 3f};
    float[] b = {0.5f, -1f, 2f};
    double[] pa = softmaxByHand(1, 2, 3);
    double[] pb = softmaxByHand(0.5, -1, 2);

    float[] combined = Ensemble.combine(new float[][] {a, b}, Ensemble.Rule.MEAN_PROBABILITIES);

    double[] back = Ensemble.softmax(combined);
    for (int c = 0; c < 3; c++) {
      double mean = (pa[c] + pb[c]) / 2;
      assertThat((double) combined[c]).isCloseTo(Math.log(mean), within(1e-6));
      assertThat(back[c]).isCloseTo(mean, within(1e-6));
    }
  }

  @Test
  void meanProbabilitiesDiffersFromMeanLogits() {
    float[][] logits = {{4f, 0f, 0f}, {0f, 0f, 4f}};
    double[] p = Ensemble.softmax(Ensemble.combine(logits, Ensemble.Rule.MEAN_PROBABILITIES));
    double[] q = Ensemble.softmax(Ensemble.combine(logits, Ensemble.Rule.MEAN_LOGITS));

    // mean logits [2, 0, 2]: the middle class gets exp(0) / (2 e^2 + 1); averaging the
    // probabilities gives it 1 / (e^4 + 2).
    assertThat(q[1]).isCloseTo(1 / (2 * Math.exp(2) + 1), within(1e-6));
    assertThat(p[1]).isCloseTo(1 / (Math.exp(4) + 2), within(1e-6));
  }

  @Test
  void meanProbabilitiesStaysFiniteWithLogitsOfTenThousand() {
    float[][] logits = {{1e4f, 0f, -1e4f}, {0f, 1e4f, 0f}};

    float[] combined = Ensemble.combine(logits, Ensemble.Rule.MEAN_PROBABILITIES);

    for (float v : combined) {
      assertThat(Float.isFinite(v)).as("finite: %s", v).isTrue();
    }
    double[] back = Ensemble.softmax(combined);
    assertThat(back[0]).isCloseTo(0.5, within(1e-6));
    assertThat(back[1]).isCloseTo(0.5, within(1e-6));
    assertThat(back[2]).isCloseTo(0.0, within(1e-6));
    assertThat((double) combined[0]).isCloseTo(Math.log(0.5), within(1e-6));
  }

  @Test
  void meanLogitsAndSoftmaxStayFiniteWithLogitsOfTenThousand() {
    float[] combined = Ensemble.combine(new float[][] {{1e4f, -1e4f}, {1e4f, 1e4f}},
        Ensemble.Rule.MEAN_LOGITS);

    assertThat(combined).containsExactly(1e4f, 0f);
    double[] p = Ensemble.softmax(new float[] {1e4f, 1e4f, -1e4f});
    assertThat(p[0]).isCloseTo(0.5, within(1e-12));
    assertThat(p[1]).isCloseTo(0.5, within(1e-12));
    assertThat(p[2]).isZero();
  }

  // ---- topProbability -------------------------------------------------------------------------

  @Test
  void topProbabilityIsTheLargestSoftmaxProbability() {
    double[] p = softmaxByHand(0.5, 2, -1);

    assertThat(Ensemble.topProbability(new float[] {0.5f, 2f, -1f}))
        .isCloseTo(p[1], within(1e-9));
  }

  @Test
  void topProbabilityOfEqualLogitsIsOneOverTheClassCount() {
    assertThat(Ensemble.topProbability(new float[] {3f, 3f, 3f, 3f})).isCloseTo(0.25,
        within(1e-12));
  }

  @Test
  void topProbabilityOfADominantLogitOfTenThousandIsOne() {
    assertThat(Ensemble.topProbability(new float[] {1e4f, 0f, -1e4f})).isEqualTo(1.0);
  }
}
