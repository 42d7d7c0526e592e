package dev.sparkdistill.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.loss.DistillationLabels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BatchMetricsTest {
  private static final int C = 3;
  private static final float[] ONES = {1f, 1f, 1f};

  /** Label rows for (label, teacher logits, unlabeled weight) triples. */
  private static INDArray labels(Object[][] rows) {
    int width = DistillationLabels.width(C);
    float[] flat = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      float[] weights = rows[i].length > 3 ? (float[]) rows[i][3] : ONES;
      DistillationLabels.fill(flat, i * width, C, (Integer) rows[i][0], (float[]) rows[i][1],
          weights, (Float) rows[i][2]);
    }
    return Nd4j.create(flat, new long[] {rows.length, width}, 'c');
  }

  private static INDArray logits(float[][] rows) {
    return Nd4j.create(rows);
  }

  /** -log softmax(logits)[index], written out. */
  private static double crossEntropy(double[] logits, int index) {
    double sum = 0;
    for (double v : logits) {
      sum += Math.exp(v);
    }
    return -(logits[index] - Math.log(sum));
  }

  @Test
  void accuracyAndMeanCrossEntropyOverLabeledRows() {
    float[][] out = {{2f, 1f, 0f}, {0f, 3f, -1f}, {0.5f, 0.2f, 1.5f}, {1f, 1f, 4f}};
    INDArray lab = labels(new Object[][] {
        {0, null, 1f}, // correct
        {1, null, 1f}, // correct
        {0, null, 1f}, // wrong: predicts 2
        {2, null, 1f}}); // correct

    BatchMetrics m = new BatchMetrics().add(logits(out), lab);

    assertThat(m.labeledRows()).isEqualTo(4);
    assertThat(m.accuracy()).isEqualTo(0.75);
    double expected = (crossEntropy(new double[] {2, 1, 0}, 0)
        + crossEntropy(new double[] {0, 3, -1}, 1)
        + crossEntropy(new double[] {0.5, 0.2, 1.5}, 0)
        + crossEntropy(new double[] {1, 1, 4}, 2)) / 4;
    assertThat(m.loss()).isCloseTo(expected, within(1e-6));
  }

  @Test
  void crossEntropyOfOneRowByHand() {
    // softmax([0, ln 3]) = [1/4, 3/4]; label 0: CE = ln 4
    BatchMetrics m = new BatchMetrics().add(
        Nd4j.create(new float[][] {{0f, (float) Math.log(3), Float.NEGATIVE_INFINITY}}),
        labels(new Object[][] {{0, null, 1f}}));

    assertThat(m.loss()).isCloseTo(Math.log(4), within(1e-6));
    assertThat(m.accuracy()).isZero();
  }

  @Test
  void crossEntropyIsStableForLargeLogits() {
    BatchMetrics m = new BatchMetrics().add(logits(new float[][] {{1000f, 0f, -1000f}}),
        labels(new Object[][] {{1, null, 1f}}));

    assertThat(m.loss()).isCloseTo(1000.0, within(1e-3));
  }

  @Test
  void crossEntropyIgnoresClassWeights() {
    float[] weights = {2f, 0.5f, 3f};
    float[][] out = {{2f, 1f, 0f}};

    BatchMetrics weighted = new BatchMetrics().add(logits(out),
        labels(new Object[][] {{0, null, 1f, weights}}));

    assertThat(weighted.loss()).isCloseTo(crossEntropy(new double[] {2, 1, 0}, 0), within(1e-6));
  }

  @Test
  void unlabeledRowsAreExcludedFromAccuracyAndLoss() {
    float[] teacher = {0f, 5f, 0f};
    float[][] out = {{3f, 0f, 0f}, {0f, 0f, 9f}, {0f, 0f, 9f}};
    INDArray lab = labels(new Object[][] {
        {0, null, 1f}, // labeled, correct
        {null, teacher, 0.5f}, // unlabeled with teacher
        {null, null, 0.5f}}); // unlabeled, no teacher

    BatchMetrics m = new BatchMetrics().add(logits(out), lab);

    assertThat(m.labeledRows()).isEqualTo(1);
    assertThat(m.accuracy()).isEqualTo(1.0);
    assertThat(m.loss()).isCloseTo(crossEntropy(new double[] {3, 0, 0}, 0), within(1e-6));
  }

  @Test
  void teacherAgreementOnlyOverRowsWithPositiveKdWeight() {
    float[][] out = {
        {0f, 2f, 0f}, // labeled + teacher (u = 1), teacher picks 1: agree
        {3f, 0f, 0f}, // unlabeled + teacher (u = 0.5), teacher picks 2: disagree
        {0f, 0f, 1f}, // labeled without teacher (u = 0): not counted
        {0f, 0f, 1f}, // unlabeled + teacher with u = 0: not counted
        {0f, 0f, 1f}}; // unlabeled + teacher (u = 0.5), teacher picks 2: agree
    INDArray lab = labels(new Object[][] {
        {2, new float[] {0f, 4f, 1f}, 0.5f},
        {null, new float[] {-1f, 0f, 2f}, 0.5f},
        {0, null, 0.5f},
        {null, new float[] {0f, 0f, 7f}, 0f},
        {null, new float[] {1f, 1f, 3f}, 0.5f}});

    BatchMetrics m = new BatchMetrics().add(logits(out), lab);

    assertThat(m.teacherAgreement()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(m.labeledRows()).isEqualTo(2);
    assertThat(m.accuracy()).isZero(); // row 0 predicts 1 (label 2), row 2 predicts 2 (label 0)
  }

  @Test
  void mergeAddsUp() {
    float[][] outA = {{2f, 0f, 0f}, {0f, 2f, 0f}};
    INDArray labA = labels(new Object[][] {
        {0, new float[] {5f, 0f, 0f}, 1f}, // correct, agrees
        {0, null, 1f}}); // wrong
    float[][] outB = {{0f, 0f, 2f}, {1f, 0f, 0f}, {0f, 1f, 0f}};
    INDArray labB = labels(new Object[][] {
        {2, null, 1f}, // correct
        {null, new float[] {0f, 3f, 0f}, 1f}, // unlabeled, disagrees
        {1, new float[] {0f, 3f, 0f}, 1f}}); // correct, agrees

    BatchMetrics a = new BatchMetrics().add(logits(outA), labA);
    BatchMetrics b = new BatchMetrics().add(logits(outB), labB);
    BatchMetrics whole = new BatchMetrics().add(logits(outA), labA).add(logits(outB), labB);
    BatchMetrics merged = a.merge(b);

    assertThat(merged).isSameAs(a);
    assertThat(merged.labeledRows()).isEqualTo(4);
    assertThat(merged.accuracy()).isEqualTo(0.75);
    assertThat(merged.teacherAgreement()).isCloseTo(2.0 / 3, within(1e-12));
    double expectedLoss = (crossEntropy(new double[] {2, 0, 0}, 0)
        + crossEntropy(new double[] {0, 2, 0}, 0)
        + crossEntropy(new double[] {0, 0, 2}, 2)
        + crossEntropy(new double[] {0, 1, 0}, 1)) / 4;
    assertThat(merged.loss()).isCloseTo(expectedLoss, within(1e-6));
    assertThat(whole.labeledRows()).isEqualTo(merged.labeledRows());
    assertThat(whole.accuracy()).isEqualTo(merged.accuracy());
    assertThat(whole.loss()).isCloseTo(merged.loss(), within(1e-12));
    assertThat(whole.teacherAgreement()).isEqualTo(merged.teacherAgreement());
  }

  @Test
  void mergingAnEmptyMetricsChangesNothing() {
    BatchMetrics m = new BatchMetrics().add(logits(new float[][] {{1f, 0f, 0f}}),
        labels(new Object[][] {{0, new float[] {1f, 0f, 0f}, 1f}}));

    m.merge(new BatchMetrics());

    assertThat(m.labeledRows()).isEqualTo(1);
    assertThat(m.accuracy()).isEqualTo(1.0);
    assertThat(m.teacherAgreement()).isEqualTo(1.0);
  }

  @Test
  void nanWhenNothingWasCounted() {
    BatchMetrics empty = new BatchMetrics();

    assertThat(empty.labeledRows()).isZero();
    assertThat(empty.accuracy()).isNaN();
    assertThat(empty.loss()).isNaN();
    assertThat(empty.teacherAgreement()).isNaN();
  }

  @Test
  void nanAccuracyAndLossWhenOnlyUnlabeledRows() {
    BatchMetrics m = new BatchMetrics().add(logits(new float[][] {{1f, 0f, 0f}}),
        labels(new Object[][] {{null, new float[] {1f, 0f, 0f}, 1f}}));

    assertThat(m.accuracy()).isNaN();
    assertThat(m.loss()).isNaN();
    assertThat(m.teacherAgreement()).isEqualTo(1.0);
  }

  @Test
  void nanTeacherAgreementWhenNoRowHasTeacherLogits() {
    BatchMetrics m = new BatchMetrics().add(logits(new float[][] {{1f, 0f, 0f}}),
        labels(new Object[][] {{0, null, 1f}}));

    assertThat(m.teacherAgreement()).isNaN();
    assertThat(m.accuracy()).isEqualTo(1.0);
  }

  @Test
  void fractionalClassWeightsDoNotChangeWhichRowsAreLabeled() {
    Minibatches packer = new Minibatches(1, C, new float[] {2.5f, 0.25f, 1f}, 1f);
    INDArray lab = packer.pack(java.util.List.of(
        new Minibatches.Example(new float[] {0f}, 0, null),
        new Minibatches.Example(new float[] {0f}, 1, null),
        new Minibatches.Example(new float[] {0f}, 2, null))).getLabels();

    BatchMetrics m = new BatchMetrics().add(
        logits(new float[][] {{1f, 0f, 0f}, {1f, 0f, 0f}, {0f, 0f, 1f}}), lab);

    assertThat(m.labeledRows()).isEqualTo(3);
    assertThat(m.accuracy()).isCloseTo(2.0 / 3, within(1e-12));
    double expected = (crossEntropy(new double[] {1, 0, 0}, 0)
        + crossEntropy(new double[] {1, 0, 0}, 1)
        + crossEntropy(new double[] {0, 0, 1}, 2)) / 3;
    assertThat(m.loss()).isCloseTo(expected, within(1e-6));
  }

  /**
   * TrainJob packs validation rows with the same Minibatches (and so the same class weights) as
   * training rows, and train.class-weights accepts 0.
   */
  @Test
  void rowsPackedWithUnitClassWeightsCountAsLabeledWhateverTheTrainingWeights() {
    // Validation batches are packed with unit weights: a zero training weight must not hide
    // a class from the validation metrics.
    Minibatches validation = new Minibatches(1, C, new float[] {1f, 1f, 1f}, 1f);
    INDArray lab = validation.pack(java.util.List.of(
        new Minibatches.Example(new float[] {0f}, 0, null),
        new Minibatches.Example(new float[] {0f}, 1, null))).getLabels();

    BatchMetrics m = new BatchMetrics().add(
        logits(new float[][] {{1f, 0f, 0f}, {1f, 0f, 0f}}), lab);

    assertThat(m.labeledRows()).isEqualTo(2);
    assertThat(m.accuracy()).isEqualTo(0.5);
  }
}
