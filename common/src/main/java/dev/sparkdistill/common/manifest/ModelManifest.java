package dev.sparkdistill.common.manifest;

import java.util.List;

/**
 * {@code _manifest.json} of a trained model's directory. With {@code train.batch-column},
 * {@code batches} lists the input's batches the model has learned from (null otherwise), and
 * {@code warmStartedFrom} lists the batches of the model a warm start began with (null for a new network).
 */
public record ModelManifest(
    int schemaVersion,
    String kind,
    String projectVersion,
    String startedAt,
    String finishedAt,
    String input,
    String inputManifestDigest,
    String configDigest,
    String architecture,
    long parameterCount,
    List<Integer> featureShape,
    int classCount,
    List<String> classNames,
    double alpha,
    double temperature,
    int epochs,
    int bestEpoch,
    TrainingLogEntry best,
    String modelFile,
    List<String> batches,
    List<String> warmStartedFrom) {

  public static final int SCHEMA_VERSION = 1;
  public static final String KIND = "model";
}
