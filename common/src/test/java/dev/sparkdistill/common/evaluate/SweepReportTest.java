package dev.sparkdistill.common.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.evaluate.SweepReport.Entry;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepReportTest {
  private static final List<Entry> GRID = List.of(
      new Entry("baseline", 1, 0, 0.80, 0.85, 0.02, 0.55, null),
      new Entry("T2-a0.5", 2, 0.5, 0.83, 0.90, 0.03, 0.50, null),
      new Entry("T4-a0.5", 4, 0.5, 0.83, 0.91, 0.04, 0.48, null),
      new Entry("T4-a0.9", 4, 0.9, 0.81, null, 0.05, 0.60, null));

  @Test
  void theBestStudentHasTheHighestAccuracyThenTheLowestNll() {
    SweepReport report = SweepReport.of("targets", "validation", 100, "now", GRID);
    assertThat(report.best()).isEqualTo("T4-a0.5");
  }

  @Test
  void theTableMarksTheBestAndNamesItsTemperatureAndAlpha() {
    String table = SweepReport.of("targets", "validation", 100, "now", GRID).table();

    assertThat(table).contains("* T4-a0.5", "best: T = 4, alpha = 0.5");
    assertThat(table.lines().filter(l -> l.startsWith("*"))).hasSize(1);
    assertThat(table).containsPattern("baseline +- +0 +0.8000 +0.8500");
    assertThat(table).containsPattern("T4-a0.9 .* - +0.0500");
  }

  @Test
  void theBaselineCanBeTheBest() {
    String table = SweepReport.of("t", "test", 1, "now", List.of(GRID.get(0),
        new Entry("T2-a0.5", 2, 0.5, 0.70, null, 0.1, 0.9, null))).table();
    assertThat(table).contains("best: the hard-label baseline");
  }

  @Test
  void theHtmlHasTheTableAndOneLinePerTemperatureWithTheBaselineDashed() {
    String html = SweepHtml.render(SweepReport.of("targets", "validation", 100, "now", GRID));

    assertThat(html).contains("<table id=\"sweep\">", "<tr class=\"best\"><td>T4-a0.5");
    // accuracy, agreement and ECE charts: a line for T = 2 and one for T = 4 in each
    assertThat(html.split("<polyline", -1)).hasSize(1 + 3 * 2);
    assertThat(html.split("class=\"baseline\"", -1)).hasSize(1 + 3);
    // T4-a0.9 has no agreement: 4 points in accuracy and ECE, 3 in agreement
    assertThat(html.split("class=\"point\"", -1)).hasSize(1 + 3 + 2 + 3);
    assertThat(html).doesNotContain("<script", "src=", "href=");
  }
}
