package dev.sparkdistill.common.train;

import dev.sparkdistill.common.loss.DistillationLabels;
import java.io.Serializable;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Packs training rows into minibatch {@link DataSet}s: features [n, F] and distillation labels
 * [n, 2C + 1], or, for rows that replay stored views, the wider label rows of
 * {@link ViewReplay}. Runs on the executors; holds only the shapes and weights.
 */
public final class Minibatches implements Serializable {
  /**
   * One row of the examples or targets table; {@code viewLogits} and {@code viewParams} are its
   * stored views (null without).
   */
  public record Example(float[] features, Integer label, float[] teacherLogits,
      float[] viewLogits, int[] viewParams) {
    public Example(float[] features, Integer label, float[] teacherLogits) {
      this(features, label, teacherLogits, null, null);
    }
  }

  private final int featureCount;
  private final int classCount;
  private final float[] classWeights;
  private final float unlabeledWeight;
  private final ViewReplay views;

  public Minibatches(int featureCount, int classCount, float[] classWeights,
      float unlabeledWeight) {
    this(featureCount, classCount, classWeights, unlabeledWeight, ViewReplay.NONE);
  }

  private Minibatches(int featureCount, int classCount, float[] classWeights,
      float unlabeledWeight, ViewReplay views) {
    this.featureCount = featureCount;
    this.classCount = classCount;
    this.classWeights = classWeights.clone();
    this.unlabeledWeight = unlabeledWeight;
    this.views = views;
  }

  /** The same packer, keeping every row's stored views in its label row for {@code replay}. */
  public Minibatches keepingViews(ViewReplay replay) {
    return new Minibatches(featureCount, classCount, classWeights, unlabeledWeight, replay);
  }

  /** Whether the label rows keep each row's stored views. */
  public boolean keepsViews() {
    return views.active();
  }

  public DataSet pack(List<Example> rows) {
    int n = rows.size();
    int width = views.active() ? views.heldLabelWidth() : DistillationLabels.width(classCount);
    float[] features = new float[n * featureCount];
    float[] labels = new float[n * width];
    for (int i = 0; i < n; i++) {
      Example row = rows.get(i);
      System.arraycopy(row.features(), 0, features, i * featureCount, featureCount);
      DistillationLabels.fill(labels, i * width, classCount, row.label(), row.teacherLogits(),
          classWeights, unlabeledWeight);
      if (views.active()) {
        views.fillViews(labels, i * width, row.viewLogits(), row.viewParams());
      }
    }
    return new DataSet(Nd4j.create(features, new long[] {n, featureCount}, 'c'),
        Nd4j.create(labels, new long[] {n, width}, 'c'));
  }
}
