package dev.sparkdistill.common.manifest;

import dev.sparkdistill.common.train.Augmentation;
import java.util.List;

/**
 * {@code _manifest.json} of a targets table: the examples' shape and classes, the teachers that
 * scored it and how they were combined, the row accounting {@code input == scored + filtered},
 * the augmented views scored per example (null when none), and, for incremental runs, the
 * ingest batches scored so far (null otherwise).
 */
public record TargetsManifest(
    int schemaVersion,
    String kind,
    String projectVersion,
    String startedAt,
    String finishedAt,
    List<Integer> featureShape,
    int featureCount,
    int classCount,
    List<String> classNames,
    String examples,
    String examplesManifestDigest,
    List<Teacher> teachers,
    String ensembleRule,
    String form,
    int topK,
    Views views,
    boolean includesFeatures,
    Rows rows,
    List<String> batches,
    String configDigest) {

  public static final int SCHEMA_VERSION = 1;
  public static final String KIND = "targets";

  /**
   * One teacher: where it came from, the SHA-256 of its file, its size, and what scored it
   * ({@code onnxruntime} or {@code nd4j}; absent in tables written before it was recorded).
   */
  public record Teacher(String path, String sha256, long parameterCount, String engine) {
    /** The teacher's file alone, whatever scored it. */
    public Teacher file() {
      return new Teacher(path, sha256, parameterCount, null);
    }
  }

  /**
   * The augmented views each row was scored in: {@code count} views drawn with these settings
   * from {@code seed} and each row's id; each view's parameters are stored beside its logits.
   */
  public record Views(int count, int translate, boolean flip, int cutout, long seed) {
    /** The targets table's column of each view's parameters, view after view. */
    public static final String PARAMS_COLUMN = "view_params";
    /** The targets table's column of each view's combined teacher logits, view after view. */
    public static final String LOGITS_COLUMN = "view_logits";

    public Augmentation augmentation() {
      return new Augmentation(translate, flip, cutout);
    }
  }

  /** Views stored per row: 0 for a table without them. */
  public int viewCount() {
    return views == null ? 0 : views.count();
  }

  public record Rows(long input, long scored, long filtered, java.util.Map<String, Long> bySplit) {}
}
