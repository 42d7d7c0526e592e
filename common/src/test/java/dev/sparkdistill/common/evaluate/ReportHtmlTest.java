package dev.sparkdistill.common.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ReportHtmlTest {
  private static ModelReport model(String name, double accuracy) {
    return new ModelReport(name, name, 10, 100, accuracy, 0.99, 0.3, 0.02, null, null, 1000,
        0.1, "nd4j", null, null, new double[2], new long[2][2], new double[][] {{1, 0.9, 0.9}});
  }

  private static List<Double> accuracyBarHeights(String html) {
    String chart = html.substring(html.indexOf("id=\"accuracy\""), html.indexOf("id=\"reliability\""));
    Matcher m = Pattern.compile("class=\"bar\"[^>]*height=\"([0-9.]+)\"").matcher(chart);
    List<Double> heights = new java.util.ArrayList<>();
    while (m.find()) {
      heights.add(Double.parseDouble(m.group(1)));
    }
    return heights;
  }

  @Test
  void theAccuracyChartStartsJustBelowTheLowestAccuracySoAPointShows() {
    String html = ReportHtml.render(new EvaluationReport("in", "test", 1, List.of("a", "b"), 5,
        15, "now", List.of(model("teacher", 0.895), model("student", 0.865))));

    assertThat(html).contains("font-size=\"10\">0.8</text>");
    List<Double> heights = accuracyBarHeights(html);
    // floor 0.8: bars of 0.095 and 0.065 of the 0.2 range, so the gap is a third of the taller
    assertThat(heights.get(1) / heights.get(0)).isBetween(0.65, 0.72);
  }

  @Test
  void lowAccuraciesKeepTheAxisAtZero() {
    String html = ReportHtml.render(new EvaluationReport("in", "test", 1, List.of("a", "b"), 5,
        15, "now", List.of(model("teacher", 0.3), model("student", 0.02))));
    assertThat(accuracyBarHeights(html).get(1) / accuracyBarHeights(html).get(0))
        .isBetween(0.06, 0.07);
  }
}
