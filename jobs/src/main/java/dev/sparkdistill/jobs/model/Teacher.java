package dev.sparkdistill.jobs.model;

/**
 * A model ready to score on this thread, whatever its file format: DL4J (ND4J) or ONNX (ONNX
 * Runtime). Scoring and ensembles see only this, so the formats mix freely.
 */
public interface Teacher {
  /**
   * The logits [count][classes] of {@code count} feature rows stored one after another in
   * {@code rows}, as the examples table stores them flat.
   */
  float[][] logits(float[] rows, int count);

  /** Rows of equal length one after another, as {@link #logits} takes them. */
  static float[] batchOf(java.util.List<float[]> rows) {
    int width = rows.get(0).length;
    float[] flat = new float[rows.size() * width];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, flat, i * width, width);
    }
    return flat;
  }
}
