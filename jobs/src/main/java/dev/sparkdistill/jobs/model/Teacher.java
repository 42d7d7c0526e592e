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
}
