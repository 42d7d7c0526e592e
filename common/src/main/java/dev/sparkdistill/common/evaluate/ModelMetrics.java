package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.targets.Ensemble;
import java.io.Serializable;

/**
 * Sums for one model's evaluation on labeled rows, mergeable across partitions: accuracy, top-k
 * accuracy, per-class accuracy, confusion matrix, negative log-likelihood, calibration bins, and,
 * when teacher logits are given, top-1 agreement with the teacher and KL(teacher || model).
 */
public final class ModelMetrics implements Serializable {
  private final int classes;
  private final int topK;
  private final long[][] confusion;
  private long rows;
  private long topKCorrect;
  private double nllSum;
  private final long[] binCount;
  private final double[] binConfidence;
  private final long[] binCorrect;
  private long teacherRows;
  private long agreeing;
  private double klSum;

  public ModelMetrics(int classes, int topK, int bins) {
    this.classes = classes;
    this.topK = Math.min(topK, classes);
    this.confusion = new long[classes][classes];
    this.binCount = new long[bins];
    this.binConfidence = new double[bins];
    this.binCorrect = new long[bins];
  }

  /**
   * @param logits the model's logits for one row
   * @param label the row's label
   * @param teacherLogits the teacher's logits for the row, or null
   */
  public void add(float[] logits, int label, float[] teacherLogits) {
    double[] logP = Ensemble.logSoftmax(logits, 1.0);
    int predicted = Ensemble.argmax(logP);
    double confidence = Math.exp(logP[predicted]);
    rows++;
    confusion[label][predicted]++;
    int higher = 0;
    for (double q : logP) {
      higher += q > logP[label] ? 1 : 0;
    }
    topKCorrect += higher < topK ? 1 : 0;
    nllSum -= logP[label];
    int bin = Math.min(binCount.length - 1, (int) (confidence * binCount.length));
    binCount[bin]++;
    binConfidence[bin] += confidence;
    binCorrect[bin] += predicted == label ? 1 : 0;
    if (teacherLogits != null) {
      double[] logT = Ensemble.logSoftmax(teacherLogits, 1.0);
      teacherRows++;
      agreeing += Ensemble.argmax(logT) == predicted ? 1 : 0;
      for (int c = 0; c < classes; c++) {
        klSum += Math.exp(logT[c]) * (logT[c] - logP[c]);
      }
    }
  }

  public ModelMetrics merge(ModelMetrics other) {
    rows += other.rows;
    topKCorrect += other.topKCorrect;
    nllSum += other.nllSum;
    teacherRows += other.teacherRows;
    agreeing += other.agreeing;
    klSum += other.klSum;
    for (int i = 0; i < classes; i++) {
      for (int j = 0; j < classes; j++) {
        confusion[i][j] += other.confusion[i][j];
      }
    }
    for (int b = 0; b < binCount.length; b++) {
      binCount[b] += other.binCount[b];
      binConfidence[b] += other.binConfidence[b];
      binCorrect[b] += other.binCorrect[b];
    }
    return this;
  }

  public long rows() {
    return rows;
  }

  public double accuracy() {
    long correct = 0;
    for (int c = 0; c < classes; c++) {
      correct += confusion[c][c];
    }
    return rows == 0 ? Double.NaN : (double) correct / rows;
  }

  public double topKAccuracy() {
    return rows == 0 ? Double.NaN : (double) topKCorrect / rows;
  }

  public int topK() {
    return topK;
  }

  public double[] perClassAccuracy() {
    double[] out = new double[classes];
    for (int c = 0; c < classes; c++) {
      long total = 0;
      for (long n : confusion[c]) {
        total += n;
      }
      out[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
    }
    return out;
  }

  public long[][] confusion() {
    long[][] copy = new long[classes][];
    for (int c = 0; c < classes; c++) {
      copy[c] = confusion[c].clone();
    }
    return copy;
  }

  /** Mean negative log-likelihood of the true label. */
  public double nll() {
    return rows == 0 ? Double.NaN : nllSum / rows;
  }

  /** Expected calibration error: bin-weighted |accuracy - confidence| of the top class. */
  public double expectedCalibrationError() {
    double ece = 0;
    for (int b = 0; b < binCount.length; b++) {
      if (binCount[b] > 0) {
        ece += (double) binCount[b] / rows
            * Math.abs((double) binCorrect[b] / binCount[b] - binConfidence[b] / binCount[b]);
      }
    }
    return rows == 0 ? Double.NaN : ece;
  }

  /** One reliability-diagram bar per bin: [count, mean confidence, accuracy]. */
  public double[][] reliability() {
    double[][] out = new double[binCount.length][];
    for (int b = 0; b < binCount.length; b++) {
      out[b] = new double[] {binCount[b],
          binCount[b] == 0 ? Double.NaN : binConfidence[b] / binCount[b],
          binCount[b] == 0 ? Double.NaN : (double) binCorrect[b] / binCount[b]};
    }
    return out;
  }

  public double teacherAgreement() {
    return teacherRows == 0 ? Double.NaN : (double) agreeing / teacherRows;
  }

  /** Mean KL(teacher || model) over the rows, in nats. */
  public double meanKlFromTeacher() {
    return teacherRows == 0 ? Double.NaN : klSum / teacherRows;
  }
}
