package dev.sparkdistill.common.train;

import java.io.Serializable;
import dev.sparkdistill.common.targets.Ensemble;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sums for validation metrics over minibatches, mergeable across partitions: cross-entropy and
 * accuracy on labeled rows, top-1 agreement with the teacher on rows that have teacher logits.
 */
public final class BatchMetrics implements Serializable {
  private long labeledRows;
  private long correct;
  private double crossEntropySum;
  private long teacherRows;
  private long agreeing;

  /**
   * @param logits network output [n, C]
   * @param labels distillation labels [n, 2C + 1]
   */
  public BatchMetrics add(INDArray logits, INDArray labels) {
    int classes = (int) logits.size(1);
    float[][] out = logits.toFloatMatrix();
    float[][] lab = labels.toFloatMatrix();
    for (int i = 0; i < out.length; i++) {
      int predicted = argmax(out[i], 0, classes);
      int label = argmax(lab[i], 0, classes);
      if (lab[i][label] > 0) {
        labeledRows++;
        correct += predicted == label ? 1 : 0;
        crossEntropySum -= Ensemble.logSoftmax(out[i], 1.0)[label];
      }
      if (lab[i][2 * classes] > 0) {
        teacherRows++;
        agreeing += predicted == argmax(lab[i], classes, classes) ? 1 : 0;
      }
    }
    return this;
  }

  public BatchMetrics merge(BatchMetrics other) {
    labeledRows += other.labeledRows;
    correct += other.correct;
    crossEntropySum += other.crossEntropySum;
    teacherRows += other.teacherRows;
    agreeing += other.agreeing;
    return this;
  }

  public long labeledRows() {
    return labeledRows;
  }

  public double accuracy() {
    return labeledRows == 0 ? Double.NaN : (double) correct / labeledRows;
  }

  /** Mean cross-entropy of the hard labels. */
  public double loss() {
    return labeledRows == 0 ? Double.NaN : crossEntropySum / labeledRows;
  }

  /** Share of rows with teacher logits where student and teacher pick the same class. */
  public double teacherAgreement() {
    return teacherRows == 0 ? Double.NaN : (double) agreeing / teacherRows;
  }

  private static int argmax(float[] row, int from, int count) {
    int best = 0;
    for (int c = 1; c < count; c++) {
      if (row[from + c] > row[from + best]) {
        best = c;
      }
    }
    return best;
  }
}
