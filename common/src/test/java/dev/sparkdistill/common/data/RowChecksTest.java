package dev.sparkdistill.common.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RowChecksTest {

  @Test
  void acceptsFeaturesOfTheExpectedCount() {
    assertThat(RowChecks.checkFeatures(new float[] {0f, 1.5f, -2f}, 3)).isNull();
  }

  @Test
  void rejectsRowsWithWrongFeatureCount() {
    assertThat(RowChecks.checkFeatures(new float[] {1f, 2f}, 3))
        .isEqualTo("wrong_feature_count: expected 3 values, got 2");
    assertThat(RowChecks.checkFeatures(new float[] {1f, 2f, 3f, 4f}, 3))
        .isEqualTo("wrong_feature_count: expected 3 values, got 4");
  }

  @Test
  void rejectsNaNFeature() {
    assertThat(RowChecks.checkFeatures(new float[] {1f, Float.NaN, 3f}, 3))
        .isEqualTo("non_finite_feature: feature 1 is NaN");
  }

  @Test
  void rejectsInfiniteFeature() {
    assertThat(RowChecks.checkFeatures(new float[] {Float.NEGATIVE_INFINITY, 1f}, 2))
        .isEqualTo("non_finite_feature: feature 0 is -Infinity");
    assertThat(RowChecks.checkFeatures(new float[] {1f, Float.POSITIVE_INFINITY}, 2))
        .isEqualTo("non_finite_feature: feature 1 is Infinity");
  }

  @Test
  void wrongCountNamesExpectedAndActual() {
    assertThat(RowChecks.wrongCount(784, 783))
        .isEqualTo("wrong_feature_count: expected 784 values, got 783");
  }

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource({"1.5, 1.5", "' 2 ', 2", "-3e2, -300", "0, 0", "255, 255"})
  void parsesNumericFeatureText(String text, float expected) {
    assertThat(RowChecks.parseFeature(text, "column 1")).isEqualTo(expected);
  }

  @Test
  void rejectsNonNumericFeature() {
    assertThat(RowChecks.parseFeature("abc", "column 2"))
        .isEqualTo("non_numeric_feature: column 2 is 'abc', not a number");
  }

  @Test
  void rejectsEmptyFeature() {
    assertThat(RowChecks.parseFeature("  ", "column 4"))
        .isEqualTo("non_numeric_feature: column 4 is '', not a number");
  }

  @Test
  void abbreviatesLongNonNumericFeatureText() {
    String text = "x".repeat(50);

    assertThat(RowChecks.parseFeature(text, "column 0"))
        .isEqualTo("non_numeric_feature: column 0 is '" + "x".repeat(40) + "...', not a number");
  }

  @ParameterizedTest
  @CsvSource({"NaN, non_finite_feature: column 3 is NaN",
      "Infinity, non_finite_feature: column 3 is Infinity",
      "-Infinity, non_finite_feature: column 3 is -Infinity",
      "1e50, non_finite_feature: column 3 is 1e50"})
  void rejectsNonFiniteFeatureText(String text, String reason) {
    assertThat(RowChecks.parseFeature(text, "column 3")).isEqualTo(reason);
  }

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource({"3, 3", "0, 0", "3.0, 3", "' 7 ', 7", "+4, 4", "1e1, 10", "2147483647, 2147483647"})
  void parsesIntegerLabels(String text, int expected) {
    assertThat(RowChecks.parseLabel(text)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "''{0}''")
  @CsvSource({"''", "'   '"})
  void emptyLabelMeansUnlabeled(String text) {
    assertThat(RowChecks.parseLabel(text)).isNull();
  }

  @ParameterizedTest(name = "''{0}''")
  @CsvSource({"3.5", "abc", "NaN", "Infinity", "'1,5'", "99999999999999999999"})
  void rejectsLabelThatIsNotAnInteger(String text) {
    assertThat(RowChecks.parseLabel(text))
        .isEqualTo("label_not_integer: label '" + text + "' is not an integer");
  }

  @ParameterizedTest(name = "''{0}''")
  @CsvSource({"-1, -1", "-1.0, -1", "2147483648, 2147483648"})
  void rejectsNegativeOrTooLargeLabel(String text, long shown) {
    assertThat(RowChecks.parseLabel(text))
        .isEqualTo("label_out_of_range: label " + shown + " is negative or too large");
  }

  @Test
  void integralLabelAcceptsWholeDoubles() {
    assertThat(RowChecks.integralLabel(4.0, 4.0)).isEqualTo(4);
  }

  @Test
  void integralLabelRejectsFractionalDoublesShowingTheValue() {
    assertThat(RowChecks.integralLabel(4.25, 4.25))
        .isEqualTo("label_not_integer: label '4.25' is not an integer");
    assertThat(RowChecks.integralLabel(Double.NaN, "NaN"))
        .isEqualTo("label_not_integer: label 'NaN' is not an integer");
  }

  @Test
  void checkLabelBelowAcceptsLabelsUnderTheClassCount() {
    assertThat(RowChecks.checkLabelBelow(0, 10)).isNull();
    assertThat(RowChecks.checkLabelBelow(9, 10)).isNull();
  }

  @Test
  void checkLabelBelowRejectsLabelsAtOrAboveTheClassCount() {
    assertThat(RowChecks.checkLabelBelow(10, 10))
        .isEqualTo("label_out_of_range: label 10 is outside [0, 10)");
    assertThat(RowChecks.checkLabelBelow(42, 10))
        .isEqualTo("label_out_of_range: label 42 is outside [0, 10)");
  }

  @Test
  void describeShowsValuesOrNull() {
    assertThat(RowChecks.describe(new float[] {1f, 2.5f})).isEqualTo("[1.0, 2.5]");
    assertThat(RowChecks.describe(null)).isNull();
  }

  @Test
  void everyRejectionStartsWithItsReasonCode() {
    assertThat(RejectReason.codeOf((String) RowChecks.parseLabel("x")))
        .isEqualTo(RejectReason.LABEL_NOT_INTEGER.code());
    assertThat(RejectReason.codeOf((String) RowChecks.parseFeature("x", "c")))
        .isEqualTo(RejectReason.NON_NUMERIC_FEATURE.code());
    assertThat(RejectReason.codeOf(RowChecks.checkLabelBelow(5, 2)))
        .isEqualTo(RejectReason.LABEL_OUT_OF_RANGE.code());
  }
}
