package dev.sparkdistill.common.train;

import dev.sparkdistill.common.loss.DistillationLabels;
import java.io.Serializable;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Packs training rows into minibatch {@link DataSet}s: features [n, F] and distillation labels
 * [n, 2C + 1]. Runs on the executors; holds only the shapes and weights.
 */
public final class Minibatches implements Serializable {
  /** One row of the examples or targets table. */
  public record Example(float[] features, Integer label, float[] teacherLogits) {}

  private final int featureCount;
  private final int classCount;
  private final float[] classWeights;
  private final float unlabeledWeight;

  public Minibatches(int featureCount, int classCount, float[] classWeights,
      float unlabeledWeight) {
    this.featureCount = featureCount;
    this.classCount = classCount;
    this.classWeights = classWeights.clone();
    this.unlabeledWeight = unlabeledWeight;
  }

  public DataSet pack(List<Example> rows) {
    int n = rows.size();
    int width = DistillationLabels.width(classCount);
    float[] features = new float[n * featureCount];
    float[] labels = new float[n * width];
    for (int i = 0; i < n; i++) {
      Example row = rows.get(i);
      System.arraycopy(row.features(), 0, features, i * featureCount, featureCount);
      DistillationLabels.fill(labels, i * width, classCount, row.label(), row.teacherLogits(),
          classWeights, unlabeledWeight);
    }
    return new DataSet(Nd4j.create(features, new long[] {n, featureCount}, 'c'),
        Nd4j.create(labels, new long[] {n, width}, 'c'));
  }
}
