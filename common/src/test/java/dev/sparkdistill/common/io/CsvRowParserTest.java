package dev.sparkdistill.common.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.data.ParsedRow;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CsvRowParserTest {
  private static final String POSITION = "train.csv@120";

  /** label, f1, f2, f3; no id column; classes unknown. */
  private final CsvRowParser labelFirst = new CsvRowParser(',', 4, 0, -1, OptionalInt.empty());
  /** id, label, f1, f2, f3; 3 classes. */
  private final CsvRowParser withId = new CsvRowParser(',', 5, 1, 0, OptionalInt.of(3));

  @Test
  void featureCountLeavesOutLabelAndIdColumns() {
    assertThat(labelFirst.featureCount()).isEqualTo(3);
    assertThat(withId.featureCount()).isEqualTo(3);
    assertThat(new CsvRowParser(',', 3, -1, -1, OptionalInt.empty()).featureCount()).isEqualTo(3);
  }

  @Test
  void parsesLabelAndFeaturesAndUsesPositionIdWithoutIdColumn() {
    ParsedRow row = labelFirst.parse("7,0.5,1,255", POSITION);

    assertThat(row.isRejected()).isFalse();
    assertThat(row.id()).isEqualTo(POSITION);
    assertThat(row.label()).isEqualTo(7);
    assertThat(row.features()).containsExactly(0.5f, 1f, 255f);
  }

  @Test
  void takesIdFromIdColumnAndExcludesItFromFeatures() {
    ParsedRow row = withId.parse(" img-7 ,2,0.5,1,2", POSITION);

    assertThat(row.isRejected()).isFalse();
    assertThat(row.id()).isEqualTo("img-7");
    assertThat(row.label()).isEqualTo(2);
    assertThat(row.features()).containsExactly(0.5f, 1f, 2f);
  }

  @Test
  void labelColumnMayBeInTheMiddle() {
    CsvRowParser parser = new CsvRowParser(',', 4, 2, -1, OptionalInt.empty());

    ParsedRow row = parser.parse("1,2,5,3", POSITION);

    assertThat(row.label()).isEqualTo(5);
    assertThat(row.features()).containsExactly(1f, 2f, 3f);
  }

  @Test
  void withoutLabelColumnEveryRowIsUnlabeled() {
    CsvRowParser parser = new CsvRowParser(';', 3, -1, -1, OptionalInt.empty());

    ParsedRow row = parser.parse("1;2;3", POSITION);

    assertThat(row.isRejected()).isFalse();
    assertThat(row.label()).isNull();
    assertThat(row.features()).containsExactly(1f, 2f, 3f);
  }

  @Test
  void emptyLabelCellIsAnUnlabeledRow() {
    ParsedRow row = labelFirst.parse(" ,1,2,3", POSITION);

    assertThat(row.isRejected()).isFalse();
    assertThat(row.label()).isNull();
    assertThat(row.features()).containsExactly(1f, 2f, 3f);
  }

  @Test
  void labelWrittenAsWholeDecimalIsAccepted() {
    assertThat(labelFirst.parse("3.0,1,2,3", POSITION).label()).isEqualTo(3);
  }

  @Test
  void quotedFieldsAndTrailingCarriageReturnAreParsed() {
    ParsedRow row = withId.parse("\"a,1\",\"1\",1,2,\"3\"\r", POSITION);

    assertThat(row.isRejected()).isFalse();
    assertThat(row.id()).isEqualTo("a,1");
    assertThat(row.features()).containsExactly(1f, 2f, 3f);
  }

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource(delimiter = '|', value = {
      "7,1,2        | wrong_feature_count: expected 3 values, got 2",
      "7            | wrong_feature_count: expected 3 values, got 0",
      "7,1,2,3,4    | wrong_feature_count: expected 3 values, got 4",
      "7,1,2,3,4,5  | wrong_feature_count: expected 3 values, got 5",
      "7,1,x,3      | non_numeric_feature: column 2 is 'x', not a number",
      "7,1,,3       | non_numeric_feature: column 2 is '', not a number",
      "7,1,2,NaN    | non_finite_feature: column 3 is NaN",
      "7,Infinity,2,3 | non_finite_feature: column 1 is Infinity",
      "3.5,1,2,3    | label_not_integer: label '3.5' is not an integer",
      "abc,1,2,3    | label_not_integer: label 'abc' is not an integer",
      "-1,1,2,3     | label_out_of_range: label -1 is negative or too large"})
  void rejectsBadRowsWithTheirReason(String line, String reason) {
    ParsedRow row = labelFirst.parse(line, POSITION);

    assertThat(row.isRejected()).isTrue();
    assertThat(row.rejection()).isEqualTo(reason);
    assertThat(row.id()).isEqualTo(POSITION);
    assertThat(row.raw()).isEqualTo(line);
    assertThat(row.features()).isNull();
    assertThat(row.label()).isNull();
  }

  @Test
  void rejectsLabelAtOrAboveTheClassCount() {
    ParsedRow row = withId.parse("a,3,1,2,3", POSITION);

    assertThat(row.rejection()).isEqualTo("label_out_of_range: label 3 is outside [0, 3)");
    assertThat(row.id()).isEqualTo("a");
    assertThat(withId.parse("a,2,1,2,3", POSITION).isRejected()).isFalse();
  }

  @Test
  void labelsAreUnboundedWhenClassCountIsUnknown() {
    assertThat(labelFirst.parse("1000000,1,2,3", POSITION).label()).isEqualTo(1_000_000);
  }

  @Test
  void rejectsEmptyIdUsingThePositionId() {
    ParsedRow row = withId.parse("  ,1,1,2,3", POSITION);

    assertThat(row.rejection()).isEqualTo("missing_id: column 0 is empty");
    assertThat(row.id()).isEqualTo(POSITION);
    assertThat(row.raw()).isEqualTo("  ,1,1,2,3");
  }

  @Test
  void rowWithWrongFieldCountKeepsItsIdWhenPresent() {
    ParsedRow row = withId.parse("a,1,1,2", POSITION);

    assertThat(row.rejection()).isEqualTo("wrong_feature_count: expected 3 values, got 2");
    assertThat(row.id()).isEqualTo("a");
  }

  @Test
  void rowTooShortToHoldTheIdColumnGetsThePositionId() {
    CsvRowParser idLast = new CsvRowParser(',', 4, 0, 3, OptionalInt.empty());

    ParsedRow row = idLast.parse("1,2", POSITION);

    assertThat(row.rejection()).isEqualTo("wrong_feature_count: expected 2 values, got 0");
    assertThat(row.id()).isEqualTo(POSITION);
  }

  @Test
  void labelIsCheckedBeforeFeatures() {
    assertThat(labelFirst.parse("x,y,2,3", POSITION).rejection())
        .isEqualTo("label_not_integer: label 'x' is not an integer");
  }

  @Test
  void keepsOnlyTheStartOfAVeryLongRejectedLine() {
    String line = "7," + "x,".repeat(3000) + "1";

    ParsedRow row = labelFirst.parse(line, POSITION);

    assertThat(row.rejection()).isEqualTo("wrong_feature_count: expected 3 values, got 3001");
    assertThat(row.raw()).hasSize(ParsedRow.MAX_RAW_CHARS + 3).endsWith("...");
  }

  @Test
  void rowWithWrongFieldCountAndEmptyIdGetsThePositionId() {
    ParsedRow row = withId.parse(",1,1,2", POSITION);

    assertThat(row.rejection()).isEqualTo("wrong_feature_count: expected 3 values, got 2");
    assertThat(row.id()).isEqualTo(POSITION);
  }
}
