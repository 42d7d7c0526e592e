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
    String configDigest) {

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

  /** How the validation split and the labeled subset were drawn. */
  public record SplitPolicy(boolean validationCarved, double validationFraction,
      double labeledFraction, long seed) {}
}
