package dev.sparkdistill.common.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ParsedRowTest {

  @Test
  void acceptedRowIsNotRejected() {
    ParsedRow row = ParsedRow.accepted("a", new float[] {1f}, 3);

    assertThat(row.isRejected()).isFalse();
    assertThat(row.rejection()).isNull();
    assertThat(row.raw()).isNull();
  }

  @Test
  void rejectedRowKeepsReasonAndRawTextButNoValues() {
    ParsedRow row = ParsedRow.rejected("a", "missing_id: column 0 is empty", ",1,2");

    assertThat(row.isRejected()).isTrue();
    assertThat(row.features()).isNull();
    assertThat(row.label()).isNull();
    assertThat(row.raw()).isEqualTo(",1,2");
  }

  @Test
  void rejectedRowRawTextIsCutAtTheLimit() {
    String exact = "x".repeat(ParsedRow.MAX_RAW_CHARS);
    String longer = exact + "yz";

    assertThat(ParsedRow.rejected("a", "r", exact).raw()).isEqualTo(exact);
    assertThat(ParsedRow.rejected("a", "r", longer).raw()).isEqualTo(exact + "...");
    assertThat(ParsedRow.rejected("a", "r", null).raw()).isNull();
  }
}
