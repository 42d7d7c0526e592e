package dev.sparkdistill.common.evaluate;

import java.util.List;
import java.util.Map;

/** {@code report.json}: every model's metrics on one split, and how they compare with the teacher. */
public record EvaluationReport(
    String input,
    String split,
    long rows,
    List<String> classNames,
    int topK,
    int calibrationBins,
    String createdAt,
    List<ModelReport> models,
    List<BatchReport> batches) {

  /**
   * One ingest batch's labeled rows of the split ({@code evaluate.batch-column}): each model's
   * accuracy on them and, with a teacher, its top-1 agreement with the teacher.
   */
  public record BatchReport(String batch, long rows, Map<String, Double> accuracy,
      Map<String, Double> teacherAgreement) {}

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
