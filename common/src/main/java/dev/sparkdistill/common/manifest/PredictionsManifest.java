package dev.sparkdistill.common.manifest;

import java.util.List;
import java.util.Map;

/**
 * {@code _manifest.json} of a predictions table: which model predicted which examples, how, and
 * the rows written per split.
 *
 * @param modelSha256 the digest of the model file as given
 * @param engine what scored it: onnxruntime or nd4j
 * @param batches for incremental runs, every batch of the batch column predicted so far
 */
public record PredictionsManifest(
    int schemaVersion,
    String kind,
    String projectVersion,
    String startedAt,
    String finishedAt,
    String input,
    String examplesManifestDigest,
    String model,
    String modelSha256,
    String engine,
    List<String> classNames,
    int topK,
    List<String> passthrough,
    Rows rows,
    List<String> batches,
    String configDigest) {

  public static final int SCHEMA_VERSION = 1;
  public static final String KIND = "predictions";

  /** Rows read and written, every row of the input once; written per split. */
  public record Rows(long input, long written, Map<String, Long> bySplit) {}
}
