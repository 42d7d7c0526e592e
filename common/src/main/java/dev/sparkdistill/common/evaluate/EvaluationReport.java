package dev.sparkdistill.common.evaluate;

import java.util.List;

/** {@code report.json}: every model's metrics on one split, and how they compare with the teacher. */
public record EvaluationReport(
    String input,
    String split,
    long rows,
    List<String> classNames,
    int topK,
    int calibrationBins,
    String createdAt,
    List<ModelReport> models) {

  /**
   * One model's row of the comparison table, with its details; {@code training} is null when
   * the model's directory holds no training log (an exported or foreign model).
   */
  public record ModelReport(
      String name,
      String path,
      long parameters,
      long fileBytes,
      double accuracy,
      double topKAccuracy,
      double nll,
      double ece,
      Double teacherAgreement,
      Double meanKlFromTeacher,
      double throughputRowsPerSecond,
      double latencyMillis,
      String engine,
      Double sizeRatioToTeacher,
      Double speedupOverTeacher,
      double[] perClassAccuracy,
      long[][] confusion,
      double[][] reliability,
      TrainingHistory training) {}
}
