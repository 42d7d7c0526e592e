package dev.sparkdistill.common.loss;

/**
 * Builds the label row {@link DistillationLoss} reads: {@code [y (C) | z (C) | u]} where y is the
 * one-hot hard label scaled by its class weight (zeros when unlabeled), z the teacher logits
 * (zeros when absent) and u the weight of the KD term (0 when there is no teacher score, the
 * unlabeled-row weight for unlabeled rows, else 1).
 */
public final class DistillationLabels {
  private DistillationLabels() {}

  public static int width(int classCount) {
    return 2 * classCount + 1;
  }

  /**
   * @param label the hard label, or null when the row is unlabeled
   * @param teacherLogits the teacher's logits, or null when the row has none
   * @param classWeights weight of each class in the CE term (length C)
   * @param unlabeledWeight weight of the KD term on unlabeled rows
   */
  public static void fill(float[] row, int offset, int classCount, Integer label,
      float[] teacherLogits, float[] classWeights, float unlabeledWeight) {
    java.util.Arrays.fill(row, offset, offset + width(classCount), 0f);
    if (label != null) {
      row[offset + label] = classWeights[label];
    }
    if (teacherLogits != null) {
      System.arraycopy(teacherLogits, 0, row, offset + classCount, classCount);
      row[offset + 2 * classCount] = label == null ? unlabeledWeight : 1f;
    }
  }
}
