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
    return softmax(logits, 1.0);
  }

  /** softmax(logits / T) in double precision. */
  public static double[] softmax(float[] logits, double temperature) {
    double[] p = logSoftmax(logits, temperature);
    for (int c = 0; c < p.length; c++) {
      p[c] = Math.exp(p[c]);
    }
    return p;
  }

  /** log softmax(logits / T), max-subtracted so large logits neither overflow nor give -inf. */
  public static double[] logSoftmax(float[] logits, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v / temperature);
    }
    double sum = 0;
    double[] out = new double[logits.length];
    for (int c = 0; c < logits.length; c++) {
      out[c] = logits[c] / temperature - max;
      sum += Math.exp(out[c]);
    }
    double logSum = Math.log(sum);
    for (int c = 0; c < logits.length; c++) {
      out[c] -= logSum;
    }
    return out;
  }

  /** The index of the largest value, the first one on ties. */
  public static int argmax(double[] values) {
    int best = 0;
    for (int c = 1; c < values.length; c++) {
      best = values[c] > values[best] ? c : best;
    }
    return best;
  }

  /** The largest softmax probability of a logit row. */
  public static double topProbability(float[] logits) {
    double[] p = softmax(logits);
    return p[argmax(p)];
  }
}
