package dev.sparkdistill.common.targets;

/**
 * Combines several teachers' logits for one row into one logit row. The mean of probabilities
 * is stored as the log of the averaged probabilities, so it reads as logits (softmax of it gives
 * back the averaged probabilities at T = 1).
 */
public final class Ensemble {
  public enum Rule { MEAN_PROBABILITIES, MEAN_LOGITS }

  private Ensemble() {}

  /** @param logits one row of logits per teacher, all of the same length */
  public static float[] combine(float[][] logits, Rule rule) {
    if (logits.length == 1) {
      return logits[0].clone();
    }
    int classes = logits[0].length;
    float[] out = new float[classes];
    if (rule == Rule.MEAN_LOGITS) {
      for (float[] teacher : logits) {
        for (int c = 0; c < classes; c++) {
          out[c] += teacher[c] / logits.length;
        }
      }
      return out;
    }
    double[] mean = new double[classes];
    for (float[] teacher : logits) {
      double[] p = softmax(teacher);
      for (int c = 0; c < classes; c++) {
        mean[c] += p[c] / logits.length;
      }
    }
    for (int c = 0; c < classes; c++) {
      out[c] = (float) Math.log(Math.max(mean[c], Double.MIN_NORMAL));
    }
    return out;
  }

  /** Softmax in double precision, max-subtracted. */
  public static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int c = 0; c < logits.length; c++) {
      p[c] = Math.exp(logits[c] - max);
      sum += p[c];
    }
    for (int c = 0; c < logits.length; c++) {
      p[c] /= sum;
    }
    return p;
  }

  /** The largest softmax probability of a logit row. */
  public static double topProbability(float[] logits) {
    double best = 0;
    for (double p : softmax(logits)) {
      best = Math.max(best, p);
    }
    return best;
  }
}
