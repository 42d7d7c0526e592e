package dev.sparkdistill.common.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.manifest.ExamplesManifest.RowCounts;
import dev.sparkdistill.common.manifest.ExamplesManifest.SplitCounts;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowTallyTest {

  private static RowTally sample() {
    return new RowTally()
        .addWritten("train", true, 50)
        .addWritten("train", false, 30)
        .addWritten("validation", true, 10)
        .addWritten("train", true, 5)
        .addRejected("wrong_feature_count", 3)
        .addRejected("non_numeric_feature", 3)
        .addRejected("wrong_feature_count", 4);
  }

  @Test
  void inputIsWrittenPlusRejected() {
    RowTally tally = sample();

    assertThat(tally.written()).isEqualTo(95);
    assertThat(tally.rejected()).isEqualTo(10);
    assertThat(tally.input()).isEqualTo(105);
  }

  @Test
  void rejectedShareIsRejectedOverInput() {
    assertThat(sample().rejectedShare()).isEqualTo(10.0 / 105);
  }

  @Test
  void emptyTallyHasZeroShare() {
    RowTally tally = new RowTally();

    assertThat(tally.input()).isZero();
    assertThat(tally.rejectedShare()).isZero();
  }

  @Test
  void allRejectedGivesShareOne() {
    assertThat(new RowTally().addRejected("missing_id", 7).rejectedShare()).isEqualTo(1.0);
  }

  @Test
  void sumsRejectedByReason() {
    assertThat(sample().rejectedByReason()).isEqualTo(
        Map.of("wrong_feature_count", 7L, "non_numeric_feature", 3L));
  }

  @Test
  void rejectedByReasonIsACopy() {
    RowTally tally = sample();
    Map<String, Long> reasons = tally.rejectedByReason();

    tally.addRejected("duplicate_id", 1);

    assertThat(reasons).doesNotContainKey("duplicate_id");
    assertThatThrownBy(() -> reasons.put("x", 1L))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void toCountsSplitsByLabelPresenceAndSplit() {
    RowCounts counts = sample().toCounts();

    assertThat(counts).isEqualTo(new RowCounts(105, 95, 65, 30, 10,
        Map.of("train", new SplitCounts(55, 30), "validation", new SplitCounts(10, 0)),
        Map.of("wrong_feature_count", 7L, "non_numeric_feature", 3L)));
    assertThat(counts.input()).isEqualTo(counts.written() + counts.rejected());
    assertThat(counts.written()).isEqualTo(counts.labeled() + counts.unlabeled());
    assertThat(counts.bySplit().get("train").total()).isEqualTo(85);
  }

  @Test
  void toCountsListsSplitsInNameOrder() {
    RowCounts counts = new RowTally()
        .addWritten("validation", true, 1)
        .addWritten("test", false, 1)
        .addWritten("train", true, 1)
        .toCounts();

    assertThat(counts.bySplit().keySet()).containsExactly("test", "train", "validation");
  }
}
