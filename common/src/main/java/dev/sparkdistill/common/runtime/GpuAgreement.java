package dev.sparkdistill.common.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether a GPU gives the CPU's results, as gpu-check judges it. Training differs in rounding
 * and in the dropout masks each backend draws, so the two trained networks are compared by test
 * accuracy ({@link #ACCURACY_POINTS}); one network's logits on both devices are compared value by
 * value, relative to the logit's size where it is above 1 ({@link #LOGIT_TOLERANCE}).
 *
 * @param cpuAccuracy test accuracy of the network trained on the CPU, scored there
 * @param gpuAccuracy test accuracy of the network trained on the GPU, scored there
 * @param nd4jLogitDiff largest difference between the CPU-trained network's logits from ND4J on
 *     the CPU and on the GPU
 * @param onnxLogitDiff the same between ND4J on the CPU and ONNX Runtime on the GPU's side
 */
public record GpuAgreement(double cpuAccuracy, double gpuAccuracy, double nd4jLogitDiff,
    double onnxLogitDiff) {
  /** Test accuracies of the two trainings may differ by at most one point. */
  public static final double ACCURACY_POINTS = 0.01;
  /** Logits of one network may differ by at most this, relative above 1. */
  public static final double LOGIT_TOLERANCE = 1e-3;

  /** What disagrees, one line each; empty when the GPU agrees with the CPU. */
  public List<String> disagreements() {
    List<String> found = new ArrayList<>();
    if (!(Math.abs(cpuAccuracy - gpuAccuracy) <= ACCURACY_POINTS)) {
      found.add(String.format(Locale.ROOT, "test accuracy %.4f on the GPU against %.4f on the "
          + "CPU: more than %.2f apart", gpuAccuracy, cpuAccuracy, ACCURACY_POINTS));
    }
    if (!(nd4jLogitDiff <= LOGIT_TOLERANCE)) {
      found.add(String.format(Locale.ROOT, "ND4J's logits of one network differ by %.2e "
          + "between GPU and CPU (bound %.0e)", nd4jLogitDiff, LOGIT_TOLERANCE));
    }
    if (!(onnxLogitDiff <= LOGIT_TOLERANCE)) {
      found.add(String.format(Locale.ROOT, "ONNX Runtime's logits on the GPU's side differ by "
          + "%.2e from ND4J's on the CPU (bound %.0e)", onnxLogitDiff, LOGIT_TOLERANCE));
    }
    return found;
  }

  /** Largest |a - b| / max(1, |a|) over all logits; infinite when the shapes differ. */
  public static double logitDiff(float[][] a, float[][] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i].length != b[i].length) {
        return Double.POSITIVE_INFINITY;
      }
      for (int c = 0; c < a[i].length; c++) {
        double diff = Math.abs((double) a[i][c] - b[i][c]) / Math.max(1.0, Math.abs(a[i][c]));
        max = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.max(max, diff);
      }
    }
    return max;
  }
}
