package dev.sparkdistill.common.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DistillationLabelsTest {
  private static final float[] WEIGHTS = {1f, 2.5f, 0.75f};
  private static final float[] TEACHER = {0.5f, -1.25f, 3f};

  @Test
  void widthIsTwoCPlusOne() {
    assertThat(DistillationLabels.width(3)).isEqualTo(7);
    assertThat(DistillationLabels.width(10)).isEqualTo(21);
  }

  @Test
  void labeledRowWithTeacher() {
    float[] row = new float[7];

    DistillationLabels.fill(row, 0, 3, 2, TEACHER, WEIGHTS, 0.3f);

    assertThat(row).containsExactly(0f, 0f, 0.75f, 0.5f, -1.25f, 3f, 1f);
  }

  @Test
  void hardLabelIsScaledByItsClassWeight() {
    float[] row = new float[7];

    DistillationLabels.fill(row, 0, 3, 1, TEACHER, WEIGHTS, 0.3f);

    assertThat(row).containsExactly(0f, 2.5f, 0f, 0.5f, -1.25f, 3f, 1f);
  }

  @Test
  void unlabeledRowGetsTheUnlabeledWeight() {
    float[] row = new float[7];

    DistillationLabels.fill(row, 0, 3, null, TEACHER, WEIGHTS, 0.3f);

    assertThat(row).containsExactly(0f, 0f, 0f, 0.5f, -1.25f, 3f, 0.3f);
  }

  @Test
  void rowWithoutTeacherHasZeroKdWeightAndZeroTeacherBlock() {
    float[] row = new float[7];

    DistillationLabels.fill(row, 0, 3, 0, null, WEIGHTS, 0.3f);

    assertThat(row).containsExactly(1f, 0f, 0f, 0f, 0f, 0f, 0f);
  }

  @Test
  void unlabeledRowWithoutTeacherIsAllZero() {
    float[] row = new float[7];
    Arrays.fill(row, 9f);

    DistillationLabels.fill(row, 0, 3, null, null, WEIGHTS, 0.3f);

    assertThat(row).containsOnly(0f);
  }

  @Test
  void fillWritesOnlyItsOwnSliceAndClearsOldValues() {
    float[] flat = new float[3 * 7];
    Arrays.fill(flat, 9f);

    DistillationLabels.fill(flat, 7, 3, 1, null, WEIGHTS, 0.3f);

    assertThat(Arrays.copyOfRange(flat, 0, 7)).containsOnly(9f);
    assertThat(Arrays.copyOfRange(flat, 7, 14)).containsExactly(0f, 2.5f, 0f, 0f, 0f, 0f, 0f);
    assertThat(Arrays.copyOfRange(flat, 14, 21)).containsOnly(9f);
  }

  @Test
  void fillDoesNotKeepAReferenceToTheTeacherArray() {
    float[] teacher = TEACHER.clone();
    float[] row = new float[7];

    DistillationLabels.fill(row, 0, 3, 0, teacher, WEIGHTS, 0.3f);
    teacher[0] = 42f;

    assertThat(row[3]).isEqualTo(0.5f);
  }
}
