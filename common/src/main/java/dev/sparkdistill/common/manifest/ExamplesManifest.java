package dev.sparkdistill.common.manifest;

import dev.sparkdistill.common.data.FeatureScaling;
import java.util.List;
import java.util.Map;

/**
 * {@code _manifest.json} of an examples table. Written after the data and before
 * {@code _SUCCESS}; a table without both is incomplete.
 */
public record ExamplesManifest(
    int schemaVersion,
    String kind,
    String projectVersion,
    String startedAt,
    String finishedAt,
    List<Integer> featureShape,
    int featureCount,
    int classCount,
    List<String> classNames,
    FeatureScaling scaling,
    Source source,
    RowCounts rows,
    SplitPolicy splits,
    String configDigest,
    List<Batch> batches) {

  public static final int SCHEMA_VERSION = 1;
  public static final String KIND = "examples";

  /** Where the rows came from; the fingerprint digests every input file's path, size and mtime. */
  public record Source(String format, Map<String, String> inputs, int inputFiles,
      String inputFingerprint) {}

  /** Rows read, written and rejected. Always {@code input == written + rejected}. */
  public record RowCounts(long input, long written, long labeled, long unlabeled, long rejected,
      Map<String, SplitCounts> bySplit, Map<String, Long> rejectedByReason) {}

  public record SplitCounts(long labeled, long unlabeled) {
    public long total() {
      return labeled + unlabeled;
    }
  }

  /**
   * One ingest batch of a table that {@code prepare.batch} runs built: its rows, where they came
   * from, and the digest of the config that prepared it. A table written whole has none (null).
   */
  public record Batch(String name, String preparedAt, Source source, RowCounts rows,
      String configDigest) {}

  /** The batch named {@code name}, when this table holds it. */
  public java.util.Optional<Batch> batch(String name) {
    return batches == null ? java.util.Optional.empty()
        : batches.stream().filter(b -> b.name().equals(name)).findFirst();
  }

  /** The names of the batches in the order they were added; empty for a table written whole. */
  public List<String> batchNames() {
    return batches == null ? List.of() : batches.stream().map(Batch::name).toList();
  }

  /** How the validation split and the labeled subset were drawn. */
  public record SplitPolicy(boolean validationCarved, double validationFraction,
      double labeledFraction, long seed) {}
}
