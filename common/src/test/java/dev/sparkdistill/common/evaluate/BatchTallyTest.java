package dev.sparkdistill.common.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.evaluate.EvaluationReport.BatchReport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchTallyTest {
  @Test
  void countsEachModelsHitsAndAgreementPerBatchAcrossMergedParts() {
    BatchTally left = new BatchTally(2);
    BatchTally right = new BatchTally(2);
    // Model 0 is the teacher; model 1 a student. Label, then each model's top class.
    left.add("2026-11-29", new int[] {1, 1}, 1, 1);
    left.add("2026-11-28", new int[] {0, 2}, 0, 0);
    right.add("2026-11-28", new int[] {0, 0}, 0, 0);
    right.add("2026-11-28", new int[] {3, 3}, 1, 3);
    left.merge(right);

    List<BatchReport> reports = left.reports(List.of("teacher", "student"), true);

    assertThat(reports).containsExactly(
        new BatchReport("2026-11-28", 3, Map.of("teacher", 2 / 3.0, "student", 1 / 3.0),
            Map.of("teacher", 1.0, "student", 2 / 3.0)),
        new BatchReport("2026-11-29", 1, Map.of("teacher", 1.0, "student", 1.0),
            Map.of("teacher", 1.0, "student", 1.0)));
    assertThat(new BatchTally(1).reports(List.of("m"), false)).isEmpty();
    BatchTally alone = new BatchTally(1);
    alone.add("b", new int[] {2}, 2, -1);
    assertThat(alone.reports(List.of("m"), false))
        .containsExactly(new BatchReport("b", 1, Map.of("m", 1.0), null));
  }
}
