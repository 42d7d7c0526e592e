package dev.sparkdistill.common.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.loss.DistillationLabels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

class MinibatchesTest {
  private static final float[] WEIGHTS = {1f, 2.5f, 0.75f};
  private static final float[] TEACHER = {0.5f, -1.25f, 3f};

  private static final Minibatches PACKER = new Minibatches(2, 3, WEIGHTS, 0.3f);

  @Test
  void shapesAreRowsByFeaturesAndRowsByTwoCPlusOne() {
    DataSet batch = PACKER.pack(List.of(
        new Minibatches.Example(new float[] {1f, 2f}, 0, TEACHER),
        new Minibatches.Example(new float[] {3f, 4f}, null, TEACHER),
        new Minibatches.Example(new float[] {5f, 6f}, 1, null)));

    assertThat(batch.getFeatures().shape()).containsExactly(3L, 2L);
    assertThat(batch.getLabels().shape()).containsExactly(3L, 7L);
    assertThat(DistillationLabels.width(3)).isEqualTo(7);
  }

  @Test
  void featuresKeepRowOrder() {
    DataSet batch = PACKER.pack(List.of(
        new Minibatches.Example(new float[] {1f, 2f}, 0, TEACHER),
        new Minibatches.Example(new float[] {3f, 4f}, null, TEACHER),
        new Minibatches.Example(new float[] {5f, 6f}, 1, null)));

    assertThat(batch.getFeatures().toFloatMatrix()).isDeepEqualTo(new float[][] {
        {1f, 2f}, {3f, 4f}, {5f, 6f}});
  }

  @Test
  void labelsFollowTheDistillationLabelLayout() {
    DataSet batch = PACKER.pack(List.of(
        // labeled with teacher: weighted one-hot, teacher logits, u = 1
        new Minibatches.Example(new float[] {1f, 2f}, 2, TEACHER),
        // unlabeled with teacher: no hard target, teacher logits, u = unlabeled weight
        new Minibatches.Example(new float[] {3f, 4f}, null, TEACHER),
        // labeled without teacher: weighted one-hot, zeros, u = 0
        new Minibatches.Example(new float[] {5f, 6f}, 1, null),
        // class weight of class 0 is 1
        new Minibatches.Example(new float[] {7f, 8f}, 0, new float[] {9f, 8f, 7f})));

    float[][] labels = batch.getLabels().toFloatMatrix();

    assertThat(labels[0]).containsExactly(0f, 0f, 0.75f, 0.5f, -1.25f, 3f, 1f);
    assertThat(labels[1]).containsExactly(0f, 0f, 0f, 0.5f, -1.25f, 3f, 0.3f);
    assertThat(labels[2]).containsExactly(0f, 2.5f, 0f, 0f, 0f, 0f, 0f);
    assertThat(labels[3]).containsExactly(1f, 0f, 0f, 9f, 8f, 7f, 1f);
  }

  @Test
  void classWeightsAreCopiedAtConstruction() {
    float[] weights = {1f, 1f, 1f};
    Minibatches packer = new Minibatches(2, 3, weights, 1f);
    weights[1] = 5f;

    float[][] labels = packer.pack(List.of(
        new Minibatches.Example(new float[] {1f, 2f}, 1, null))).getLabels().toFloatMatrix();

    assertThat(labels[0]).containsExactly(0f, 1f, 0f, 0f, 0f, 0f, 0f);
  }

  @Test
  void packingDoesNotAlterTheRows() {
    float[] features = {1f, 2f};
    float[] teacher = TEACHER.clone();
    Minibatches.Example row = new Minibatches.Example(features, 0, teacher);

    DataSet batch = PACKER.pack(List.of(row));
    batch.getFeatures().muli(10);
    batch.getLabels().muli(10);

    assertThat(features).containsExactly(1f, 2f);
    assertThat(teacher).containsExactly(TEACHER);
  }

  @Test
  void singleRowBatch() {
    DataSet batch = PACKER.pack(List.of(
        new Minibatches.Example(new float[] {1f, 2f}, 1, TEACHER)));

    assertThat(batch.getFeatures().shape()).containsExactly(1L, 2L);
    assertThat(batch.getLabels().shape()).containsExactly(1L, 7L);
    assertThat(batch.numExamples()).isEqualTo(1);
  }
}
