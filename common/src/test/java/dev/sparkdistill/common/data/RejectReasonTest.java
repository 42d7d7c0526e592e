package dev.sparkdistill.common.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RejectReasonTest {

  @Test
  void codeIsLowerCaseName() {
    assertThat(RejectReason.WRONG_FEATURE_COUNT.code()).isEqualTo("wrong_feature_count");
    assertThat(RejectReason.DUPLICATE_ID.code()).isEqualTo("duplicate_id");
  }

  @Test
  void becausePrefixesTheDetailWithTheCode() {
    assertThat(RejectReason.MISSING_ID.because("column 0 is empty"))
        .isEqualTo("missing_id: column 0 is empty");
  }

  @ParameterizedTest
  @EnumSource(RejectReason.class)
  void codeOfRecoversTheCodeOfEveryReason(RejectReason reason) {
    assertThat(RejectReason.codeOf(reason.because("detail: with a colon"))).isEqualTo(reason.code());
  }

  @Test
  void codeOfTextWithoutColonIsTheWholeText() {
    assertThat(RejectReason.codeOf("duplicate_id")).isEqualTo("duplicate_id");
    assertThat(RejectReason.codeOf("")).isEmpty();
  }

  @Test
  void codeOfStopsAtTheFirstColon() {
    assertThat(RejectReason.codeOf("wrong_feature_count: expected 3 values, got 2"))
        .isEqualTo("wrong_feature_count");
  }
}
