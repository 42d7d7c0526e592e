package dev.sparkdistill.common.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTableTest {
  private static ModelReport model(String name, long parameters, double accuracy,
      Double agreement, Double size, Double speedup) {
    return new ModelReport(name, name + ".zip", parameters, 1000, accuracy, 0.99, 0.3, 0.021,
        agreement, null, 5000, 0.2, "onnxruntime", size, speedup, new double[0], new long[0][0],
        new double[0][0], null);
  }

  @Test
  void oneLinePerModelWithRatiosAgainstTheTeacher() {
    String table = SummaryTable.render(new EvaluationReport("examples", "test", 10000,
        List.of(), 5, 15, "now", List.of(
            model("teacher", 206922, 0.8946, 1.0, 1.0, 1.0),
            model("distilled", 50890, 0.8611, 0.918, 0.2459, 12.345)), null));

    assertThat(table.lines()).hasSize(4);
    assertThat(table).startsWith("test split, 10000 rows of examples");
    assertThat(table).containsPattern("distilled +0\\.8611 +0\\.9180 +0\\.0210 +50890 +0\\.246x"
        + " +12\\.3x");
  }

  @Test
  void aModelWithoutTeacherShowsDashes() {
    String table = SummaryTable.render(new EvaluationReport("examples", "test", 1, List.of(), 5,
        15, "now", List.of(model("alone", 10, 0.5, null, null, null)), null));
    assertThat(table).containsPattern("alone +0\\.5000 +- +0\\.0210 +10 +- +-");
  }

  @Test
  void aReportByBatchAddsARowPerBatch() {
    String table = SummaryTable.render(new EvaluationReport("examples", "test", 30, List.of(), 5,
        15, "now", List.of(model("teacher", 20, 0.9, 1.0, 1.0, 1.0),
            model("distilled", 10, 0.8, 0.9, 0.5, 2.0)),
        List.of(new EvaluationReport.BatchReport("2026-11-29", 10,
                java.util.Map.of("teacher", 0.9, "distilled", 0.7), null),
            new EvaluationReport.BatchReport("2026-11-30", 20,
                java.util.Map.of("teacher", 0.9, "distilled", 0.85), null))));
    assertThat(table.lines().skip(4)).containsExactly(
        "accuracy by batch:",
        "batch           rows      teacher    distilled",
        "2026-11-29        10       0.9000       0.7000",
        "2026-11-30        20       0.9000       0.8500");
  }
}
