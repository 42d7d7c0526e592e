package dev.sparkdistill.common.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.targets.SoftTargets.TopK;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SoftTargetsTest {

  // ---- fromTopK ----

  @Test
  void fromTopKPutsTopLogitsInPlaceAndRestElsewhere() {
    float[] row = SoftTargets.fromTopK(new int[] {7, 2}, new float[] {3.5f, 1.25f}, -2f, 10);

    assertThat(row).containsExactly(-2f, -2f, 1.25f, -2f, -2f, -2f, -2f, 3.5f, -2f, -2f);
  }

  @Test
  void fromTopKWithNoEntriesIsAllRest() {
    assertThat(SoftTargets.fromTopK(new int[0], new float[0], 0.5f, 3))
        .containsExactly(0.5f, 0.5f, 0.5f);
  }

  @Test
  void fromTopKWithAllClassesIgnoresRest() {
    assertThat(SoftTargets.fromTopK(new int[] {2, 0, 1}, new float[] {1f, 2f, 3f}, 0f, 3))
        .containsExactly(2f, 3f, 1f);
  }

  @Test
  void fromTopKRejectsIndexOutOfRange() {
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {1, 12}, new float[] {1f, 2f}, 0f, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("topk_index holds 12, outside [0, 10)");
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {-1}, new float[] {1f}, 0f, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("topk_index holds -1, outside [0, 10)");
  }

  @Test
  void fromTopKRejectsDuplicateIndex() {
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {3, 3}, new float[] {1f, 2f}, 0f, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("topk_index holds 3 more than once");
  }

  @Test
  void fromTopKRejectsLengthMismatch() {
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {1, 2}, new float[] {1f}, 0f, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("topk_index has 2 entries but topk_logit has 1");
  }

  @Test
  void fromTopKRejectsKAboveClassCount() {
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {0, 1, 2}, new float[3], 0f, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("k = 3 exceeds the class count 2");
  }

  @Test
  void fromTopKRejectsNonFiniteValues() {
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {0, 1},
        new float[] {1f, Float.NaN}, 0f, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("topk_logit[1] is not finite: NaN");
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {0},
        new float[] {Float.POSITIVE_INFINITY}, 0f, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("topk_logit[0] is not finite: Infinity");
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {0}, new float[] {1f},
        Float.NEGATIVE_INFINITY, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rest_logit is not finite: -Infinity");
  }

  @Test
  void fromTopKMessagesAreOneLine() {
    assertThatThrownBy(() -> SoftTargets.fromTopK(new int[] {9}, new float[] {1f}, 0f, 4))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  // ---- toTopK ----

  @Test
  void toTopKTakesLargestFirstAndBreaksTiesByLowerIndex() {
    float[] logits = {1f, 5f, 3f, 5f, -2f, 3f};

    TopK top = SoftTargets.toTopK(logits, 4);

    assertThat(top.index()).containsExactly(1, 3, 2, 5);
    assertThat(top.logit()).containsExactly(5f, 5f, 3f, 3f);
  }

  @Test
  void toTopKRestIsLogMeanExpOfTheLeftOut() {
    float[] logits = {4f, 0f, 1f, 2f};

    TopK top = SoftTargets.toTopK(logits, 1);

    double expected = Math.log((Math.exp(0) + Math.exp(1) + Math.exp(2)) / 3);
    assertThat((double) top.restLogit()).isCloseTo(expected, within(1e-6));
    // Not the arithmetic mean (1.0) that DESIGN's wording suggests.
    assertThat((double) top.restLogit()).isGreaterThan(1.0 + 0.1);
  }

  @Test
  void toTopKRestIsStableForHugeLogits() {
    float[] logits = {3e4f, 2e4f, 2e4f, 2e4f - 1f};

    TopK top = SoftTargets.toTopK(logits, 1);

    double expected = 2e4 + Math.log((2 + Math.exp(-1)) / 3);
    assertThat((double) top.restLogit()).isFinite().isCloseTo(expected, within(1e-2));
  }

  @Test
  void toTopKWithAllClassesHasZeroRestAndRoundTripsExactly() {
    float[] logits = randomLogits(new Random(3), 10, 3.0);

    TopK top = SoftTargets.toTopK(logits, 10);

    assertThat(top.restLogit()).isZero();
    assertThat(SoftTargets.fromTopK(top.index(), top.logit(), top.restLogit(), 10))
        .containsExactly(logits);
  }

  @Test
  void toTopKRejectsBadInput() {
    assertThatThrownBy(() -> SoftTargets.toTopK(new float[] {1f, 2f}, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("k = 3 is outside [0, 2]");
    assertThatThrownBy(() -> SoftTargets.toTopK(new float[] {1f, 2f}, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("k = -1 is outside [0, 2]");
    assertThatThrownBy(() -> SoftTargets.toTopK(new float[] {1f, Float.NaN}, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("logits[1] is not finite: NaN");
    assertThatThrownBy(() -> SoftTargets.toTopK(new float[0], 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void topKRecordComparesByContent() {
    assertThat(new TopK(new int[] {1}, new float[] {2f}, 3f))
        .isEqualTo(new TopK(new int[] {1}, new float[] {2f}, 3f))
        .hasSameHashCodeAs(new TopK(new int[] {1}, new float[] {2f}, 3f))
        .isNotEqualTo(new TopK(new int[] {1}, new float[] {2f}, 4f));
  }

  // ---- exactness at T = 1 and the error bound ----

  @ParameterizedTest(name = "C={0}, k={1}, seed={2}")
  @CsvSource({"10, 5, 1", "10, 5, 2", "10, 1, 3", "1000, 20, 4", "1000, 20, 5", "1000, 1, 6"})
  void atTemperatureOneTopKProbabilitiesAndTailMassAreExact(int classes, int k, long seed) {
    float[] logits = randomLogits(new Random(seed), classes, 4.0);
    TopK top = SoftTargets.toTopK(logits, k);
    double[] dense = Ensemble.softmax(logits, 1.0);
    double[] rebuilt = Ensemble.softmax(
        SoftTargets.fromTopK(top.index(), top.logit(), top.restLogit(), classes), 1.0);

    boolean[] inTop = new boolean[classes];
    for (int c : top.index()) {
      inTop[c] = true;
      assertThat(rebuilt[c]).as("p[%d]", c).isCloseTo(dense[c], within(1e-5));
    }
    double denseTail = 0;
    double rebuiltTail = 0;
    for (int c = 0; c < classes; c++) {
      if (!inTop[c]) {
        denseTail += dense[c];
        rebuiltTail += rebuilt[c];
      }
    }
    assertThat(rebuiltTail).isCloseTo(denseTail, within(1e-5));
    // The tail mass is shared evenly.
    for (int c = 0; c < classes; c++) {
      if (!inTop[c]) {
        assertThat(rebuilt[c]).isCloseTo(rebuiltTail / (classes - k), within(1e-9));
      }
    }
    // Total variation, and so the max error, is at most the tail mass.
    double tv = totalVariation(dense, rebuilt);
    assertThat(tv).isLessThanOrEqualTo(denseTail + 1e-6);
    assertThat(SoftTargets.tailError(logits, k, 1.0)).isLessThanOrEqualTo(tv + 1e-9);
  }

  @ParameterizedTest(name = "C={0}, k={1}")
  @CsvSource({"10, 5", "1000, 20"})
  void arithmeticMeanRestWouldNotKeepTopKExact(int classes, int k) {
    float[] logits = randomLogits(new Random(11), classes, 4.0);
    TopK top = SoftTargets.toTopK(logits, k);
    boolean[] inTop = new boolean[classes];
    for (int c : top.index()) {
      inTop[c] = true;
    }
    double mean = IntStream.range(0, classes).filter(c -> !inTop[c])
        .mapToDouble(c -> logits[c]).average().orElseThrow();
    double[] dense = Ensemble.softmax(logits, 1.0);
    double[] meanRebuilt = Ensemble.softmax(
        SoftTargets.fromTopK(top.index(), top.logit(), (float) mean, classes), 1.0);

    double worst = Arrays.stream(top.index())
        .mapToDouble(c -> Math.abs(meanRebuilt[c] - dense[c])).max().orElseThrow();
    // Fails the 1e-5 exactness the log-mean-exp form meets.
    assertThat(worst).as("top-k error with the arithmetic-mean rest").isGreaterThan(1e-5);
  }

  @ParameterizedTest(name = "C={0}")
  @CsvSource({"10", "1000"})
  void errorIsZeroWhenNothingIsLeftOut(int classes) {
    float[] logits = randomLogits(new Random(21), classes, 4.0);
    for (double t : new double[] {0.5, 1.0, 3.0, 20.0}) {
      assertThat(SoftTargets.tailError(logits, classes, t)).isZero();
    }
  }

  @ParameterizedTest(name = "C={0}, seed={1}")
  @CsvSource({"10, 31", "10, 32", "1000, 33"})
  void atTemperatureOneTheErrorDoesNotGrowWithK(int classes, long seed) {
    float[] logits = randomLogits(new Random(seed), classes, 4.0);
    double previousTv = Double.POSITIVE_INFINITY;
    int step = classes <= 10 ? 1 : 7;
    for (int k = 0; k <= classes; k += step) {
      double tv = totalVariation(Ensemble.softmax(logits, 1.0), rebuiltSoftmax(logits, k, 1.0));
      assertThat(tv).as("TV at k=%d", k).isLessThanOrEqualTo(previousTv + 1e-7);
      assertThat(SoftTargets.tailError(logits, k, 1.0)).as("max error at k=%d", k)
          .isLessThanOrEqualTo(tv + 1e-9);
      previousTv = tv;
    }
  }

  @Test
  void theSpecifiedCasesErrorDoesNotGrowFromKToC() {
    float[] ten = randomLogits(new Random(41), 10, 4.0);
    float[] thousand = randomLogits(new Random(42), 1000, 4.0);

    double e10 = SoftTargets.tailError(ten, 5, 1.0);
    double e1000 = SoftTargets.tailError(thousand, 20, 1.0);

    assertThat(SoftTargets.tailError(ten, 8, 1.0)).isLessThanOrEqualTo(e10 + 1e-9);
    assertThat(SoftTargets.tailError(thousand, 200, 1.0)).isLessThanOrEqualTo(e1000 + 1e-9);
    assertThat(SoftTargets.tailError(ten, 10, 1.0)).isZero();
    assertThat(SoftTargets.tailError(thousand, 1000, 1.0)).isZero();
  }

  /**
   * The max absolute error is bounded by the TV (which shrinks with k) but is not itself monotone
   * in k: tail probabilities {0.5, 0.49, 0.005, 0.005} with k = 0 err by 0.25 (0.5 vs the mean
   * 0.25), with k = 1 by about 0.323 (0.49 vs the mean of the other three).
   */
  @Test
  void maxErrorAloneIsNotMonotoneInK() {
    float[] logits = {(float) Math.log(0.5), (float) Math.log(0.49), (float) Math.log(0.005),
        (float) Math.log(0.005)};

    assertThat(SoftTargets.tailError(logits, 0, 1.0)).isCloseTo(0.25, within(1e-6));
    assertThat(SoftTargets.tailError(logits, 1, 1.0)).isCloseTo(0.49 - 0.5 / 3, within(1e-6));
    assertThat(totalVariation(Ensemble.softmax(logits, 1.0), rebuiltSoftmax(logits, 1, 1.0)))
        .isLessThan(totalVariation(Ensemble.softmax(logits, 1.0),
            rebuiltSoftmax(logits, 0, 1.0)));
  }

  @ParameterizedTest(name = "C={0}, k={1}, T={2}")
  @CsvSource({"10, 5, 3.0", "10, 5, 20.0", "1000, 20, 3.0", "1000, 20, 0.5"})
  void atOtherTemperaturesTheRebuildIsAnApproximation(int classes, int k, double t) {
    float[] logits = randomLogits(new Random(51), classes, 4.0);

    double err = SoftTargets.tailError(logits, k, t);

    assertThat(err).isFinite().isBetween(0.0, 1.0);
    double tv = totalVariation(Ensemble.softmax(logits, t), rebuiltSoftmax(logits, k, t));
    assertThat(err).isLessThanOrEqualTo(tv + 1e-9);
  }

  @Test
  void tailErrorRejectsBadTemperature() {
    assertThatThrownBy(() -> SoftTargets.tailError(new float[] {1f, 2f}, 1, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("temperature must be finite and > 0, got 0.0");
  }

  // ---- helpers ----

  private static float[] randomLogits(Random rnd, int classes, double scale) {
    float[] out = new float[classes];
    for (int i = 0; i < classes; i++) {
      out[i] = (float) (rnd.nextGaussian() * scale);
    }
    return out;
  }

  private static double[] rebuiltSoftmax(float[] logits, int k, double t) {
    TopK top = SoftTargets.toTopK(logits, k);
    return Ensemble.softmax(
        SoftTargets.fromTopK(top.index(), top.logit(), top.restLogit(), logits.length), t);
  }

  private static double totalVariation(double[] p, double[] q) {
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      sum += Math.abs(p[i] - q[i]);
    }
    return sum / 2;
  }

  @Test
  void theWorstTailErrorIsTheLargestOverTheRows() {
    float[] peaked = {9, 1, 0.5f, 0.2f, 0.1f, 0};
    float[] flat = {1, 0.9f, 0.8f, 0.5f, 0.1f, 0};
    double[] temperatures = {1, 4};
    double[] worst = SoftTargets.worstTailErrors(List.of(peaked, flat), 2, temperatures);

    for (int t = 0; t < temperatures.length; t++) {
      assertThat(worst[t]).isEqualTo(Math.max(SoftTargets.tailError(peaked, 2, temperatures[t]),
          SoftTargets.tailError(flat, 2, temperatures[t])));
    }
    // the rest's mass is shared evenly among the left-out classes: visible on the flat row
    assertThat(worst[0]).isGreaterThan(1e-3);
    assertThat(worst[1]).isGreaterThan(1e-3);
    assertThat(SoftTargets.worstTailErrors(List.of(peaked), 6, temperatures))
        .containsExactly(0, 0);
  }
}
