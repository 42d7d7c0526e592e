package dev.sparkdistill.common.manifest;

/** One epoch of {@code training-log.json}. Metrics are NaN (null in JSON) when not measured. */
public record TrainingLogEntry(
    int epoch,
    double trainScore,
    Double validationLoss,
    Double validationAccuracy,
    Double teacherAgreement,
    long rows,
    double rowsPerSecond,
    double epochSeconds,
    double elapsedSeconds) {
  /** The file, beside the model, that lists every epoch. */
  public static final String FILE = "training-log.json";

  /** NaN as null, so the JSON stays valid. */
  public static Double orNull(double value) {
    return Double.isNaN(value) ? null : value;
  }
}
