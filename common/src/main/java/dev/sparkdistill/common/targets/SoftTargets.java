package dev.sparkdistill.common.targets;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Top-k soft targets: a teacher row kept as its k largest logits plus one {@code rest_logit}
 * shared by every class left out, and the rebuild of the full logit row from that form.
 *
 * <p>{@code rest_logit} is the <em>log of the mean of exp</em> over the classes left out,
 * {@code log((1 / (C - k)) * sum_{i not in top-k} exp(l_i))}, computed with the tail maximum
 * subtracted so it does not overflow. DESIGN describes it as the "mean logit of the classes
 * left out"; the log-mean-exp form is used instead because the rebuilt row then has exactly the
 * dense row's softmax normalizer at T = 1: the top-k classes keep their exact probabilities and
 * the tail classes keep their exact total probability mass, shared evenly among them. (The
 * arithmetic mean of the tail logits is never larger than the log-mean-exp, by Jensen, so it
 * would give the tail too little mass and the top-k classes too much.)
 *
 * <p>At T = 1 the tail mass is exact; at any other temperature the rebuilt tail is an
 * approximation (exp(l / T) does not average like exp(l)), so neither the tail mass nor the
 * top-k probabilities are exact there. {@link #tailError} measures the gap. With
 * {@code k == classCount} nothing is left out, the row is rebuilt exactly and
 * {@code restLogit} is 0 and unused.
 *
 * <p>Spark-free; all methods are static.
 */
public final class SoftTargets {
  private SoftTargets() {}

  /**
   * A row in top-k form.
   *
   * @param index class indexes of the k largest logits, largest logit first
   * @param logit their logits, same order
   * @param restLogit log-mean-exp of the logits left out (0 when none is)
   */
  public record TopK(int[] index, float[] logit, float restLogit) {
    @Override
    public boolean equals(Object o) {
      return o instanceof TopK t && Arrays.equals(index, t.index) && Arrays.equals(logit, t.logit)
          && Float.compare(restLogit, t.restLogit) == 0;
    }

    @Override
    public int hashCode() {
      return 31 * (31 * Arrays.hashCode(index) + Arrays.hashCode(logit))
          + Float.hashCode(restLogit);
    }

    @Override
    public String toString() {
      return "TopK[index=" + Arrays.toString(index) + ", logit=" + Arrays.toString(logit)
          + ", restLogit=" + restLogit + "]";
    }
  }

  /**
   * Rebuilds the full logit row: {@code topkLogit[j]} at {@code topkIndex[j]}, {@code restLogit}
   * at every other class.
   *
   * @throws IllegalArgumentException when the lengths differ, k exceeds classCount, an index is
   *     outside [0, classCount) or repeated, or a value is not finite
   */
  public static float[] fromTopK(int[] topkIndex, float[] topkLogit, float restLogit,
      int classCount) {
    if (topkIndex == null || topkLogit == null) {
      throw new IllegalArgumentException("topk_index and topk_logit must not be null");
    }
    if (classCount <= 0) {
      throw new IllegalArgumentException("class count must be > 0, got " + classCount);
    }
    if (topkIndex.length != topkLogit.length) {
      throw new IllegalArgumentException("topk_index has " + topkIndex.length
          + " entries but topk_logit has " + topkLogit.length);
    }
    if (topkIndex.length > classCount) {
      throw new IllegalArgumentException("k = " + topkIndex.length + " exceeds the class count "
          + classCount);
    }
    if (!Float.isFinite(restLogit)) {
      throw new IllegalArgumentException("rest_logit is not finite: " + restLogit);
    }
    boolean[] seen = new boolean[classCount];
    float[] row = new float[classCount];
    Arrays.fill(row, restLogit);
    for (int j = 0; j < topkIndex.length; j++) {
      int c = topkIndex[j];
      if (c < 0 || c >= classCount) {
        throw new IllegalArgumentException("topk_index holds " + c + ", outside [0, "
            + classCount + ")");
      }
      if (seen[c]) {
        throw new IllegalArgumentException("topk_index holds " + c + " more than once");
      }
      if (!Float.isFinite(topkLogit[j])) {
        throw new IllegalArgumentException("topk_logit[" + j + "] is not finite: "
            + topkLogit[j]);
      }
      seen[c] = true;
      row[c] = topkLogit[j];
    }
    return row;
  }

  /**
   * The k largest logits (ties broken by the lower class index), largest first, and the
   * log-mean-exp of the rest.
   *
   * @throws IllegalArgumentException when logits is empty or holds a non-finite value, or k is
   *     outside [0, logits.length]
   */
  public static TopK toTopK(float[] logits, int k) {
    if (logits == null || logits.length == 0) {
      throw new IllegalArgumentException("logits must hold at least one class");
    }
    int classCount = logits.length;
    if (k < 0 || k > classCount) {
      throw new IllegalArgumentException("k = " + k + " is outside [0, " + classCount + "]");
    }
    for (int i = 0; i < classCount; i++) {
      if (!Float.isFinite(logits[i])) {
        throw new IllegalArgumentException("logits[" + i + "] is not finite: " + logits[i]);
      }
    }
    // Largest first; equal logits (0.0 and -0.0 included) by ascending index.
    int[] order = IntStream.range(0, classCount).boxed()
        .sorted((a, b) -> logits[a] > logits[b] ? -1
            : logits[a] < logits[b] ? 1 : Integer.compare(a, b))
        .mapToInt(Integer::intValue).toArray();
    int[] index = Arrays.copyOf(order, k);
    float[] logit = new float[k];
    for (int j = 0; j < k; j++) {
      logit[j] = logits[index[j]];
    }
    if (k == classCount) {
      return new TopK(index, logit, 0f);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int j = k; j < classCount; j++) {
      max = Math.max(max, logits[order[j]]);
    }
    double sum = 0;
    for (int j = k; j < classCount; j++) {
      sum += Math.exp(logits[order[j]] - max);
    }
    double rest = max + Math.log(sum / (classCount - k));
    return new TopK(index, logit, (float) rest);
  }

  /**
   * Max absolute difference, over the classes, between softmax(dense / T) and softmax of the row
   * rebuilt from its top-k form divided by T. 0 when {@code k == logits.length}.
   */
  public static double tailError(float[] logits, int k, double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got "
          + temperature);
    }
    TopK top = toTopK(logits, k);
    float[] rebuilt = fromTopK(top.index(), top.logit(), top.restLogit(), logits.length);
    double[] p = Ensemble.softmax(logits, temperature);
    double[] q = Ensemble.softmax(rebuilt, temperature);
    double err = 0;
    for (int i = 0; i < p.length; i++) {
      err = Math.max(err, Math.abs(p[i] - q[i]));
    }
    return err;
  }

  /** The temperatures students commonly train at, for {@link #worstTailErrors}. */
  public static final double[] USUAL_TEMPERATURES = {1, 2, 4, 8};

  /**
   * For each temperature, the largest {@link #tailError} over the rows: how far soft targets
   * rebuilt from the top-k form can be from the dense ones on these rows.
   */
  public static double[] worstTailErrors(java.util.List<float[]> rows, int k,
      double[] temperatures) {
    double[] worst = new double[temperatures.length];
    for (float[] logits : rows) {
      for (int t = 0; t < temperatures.length; t++) {
        worst[t] = Math.max(worst[t], tailError(logits, k, temperatures[t]));
      }
    }
    return worst;
  }
}
