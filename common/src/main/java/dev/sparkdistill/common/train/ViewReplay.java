package dev.sparkdistill.common.train;

import dev.sparkdistill.common.loss.DistillationLabels;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Replays the augmented views a targets table stores ({@code infer.views}): every epoch each row
 * trains on one of its {@code views} views, chosen from a seed of the epoch and the row, with
 * the features rendered by exactly that view's stored transform and the teacher logits scored
 * for it. The teacher and the student so always see the same pixels (Beyer et al. 2022).
 *
 * <p>Until an epoch picks its views, a worker holds each row's label row widened to
 * {@link #heldLabelWidth()}: the distillation labels {@code [y | z | u]} (z = the logits of the
 * row itself), then every view's logits, then every view's parameters.
 */
public record ViewReplay(int views, int classCount, Augmentation augmentation)
    implements Serializable {
  /** No views: rows train as they are stored. */
  public static final ViewReplay NONE = new ViewReplay(0, 0, Augmentation.NONE);

  public boolean active() {
    return views > 1;
  }

  /** The width of a held label row. */
  public int heldLabelWidth() {
    return DistillationLabels.width(classCount)
        + views * (classCount + Augmentation.VIEW_PARAMETERS);
  }

  /**
   * Writes the views' logits and parameters after the distillation labels of the held label row
   * at {@code labels[offset...]}; zeros when the row has no views.
   */
  public void fillViews(float[] labels, int offset, float[] viewLogits, int[] viewParams) {
    int at = offset + DistillationLabels.width(classCount);
    if (viewLogits == null || viewParams == null) {
      java.util.Arrays.fill(labels, at, offset + heldLabelWidth(), 0f);
      return;
    }
    System.arraycopy(viewLogits, 0, labels, at, views * classCount);
    at += views * classCount;
    for (int i = 0; i < views * Augmentation.VIEW_PARAMETERS; i++) {
      labels[at + i] = viewParams[i];
    }
  }

  /** The view a row trains on, from its seed for this epoch. */
  public int choose(long seed) {
    return new SplittableRandom(seed ^ 0x7E1E5L).nextInt(views);
  }

  /** Renders view {@code view} of a row, its held label row at {@code labels[labelsFrom...]}. */
  public void renderFeatures(int view, java.util.List<Integer> shape, float[] features,
      int featuresFrom, float[] labels, int labelsFrom, float[] target, int to) {
    int params = labelsFrom + DistillationLabels.width(classCount) + views * classCount
        + view * Augmentation.VIEW_PARAMETERS;
    augmentation.render(Augmentation.View.stored(labels, params), shape, features, featuresFrom,
        target, to);
  }

  /** Writes the distillation labels {@code [y | z_view | u]} of a held label row. */
  public void viewLabels(int view, float[] labels, int labelsFrom, float[] target, int to) {
    int width = DistillationLabels.width(classCount);
    System.arraycopy(labels, labelsFrom, target, to, width);
    System.arraycopy(labels, labelsFrom + width + view * classCount, target, to + classCount,
        classCount);
  }
}
