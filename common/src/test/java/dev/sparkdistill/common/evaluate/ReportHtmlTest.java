package dev.sparkdistill.common.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import dev.sparkdistill.common.manifest.TrainingLogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ReportHtmlTest {
  private static ModelReport model(String name, double accuracy) {
    return model(name, accuracy, new double[2], new long[2][2], null);
  }

  private static ModelReport model(String name, double accuracy, double[] perClass,
      long[][] confusion, TrainingHistory training) {
    return new ModelReport(name, name, 10, 100, accuracy, 0.99, 0.3, 0.02, null, null, 1000,
        0.1, "nd4j", null, null, perClass, confusion, new double[][] {{1, 0.9, 0.9}}, training);
  }

  /** Epochs whose validation loss falls until {@code best}, then rises. */
  private static TrainingHistory history(int epochs, int best) {
    List<TrainingLogEntry> log = new ArrayList<>();
    for (int e = 1; e <= epochs; e++) {
      double validationLoss = 0.3 + 0.05 * Math.abs(e - best);
      log.add(new TrainingLogEntry(e, 1.0 / e, validationLoss, 0.8 + 0.01 * e, null, 100, 10,
          1, e));
    }
    return new TrainingHistory(best, log);
  }

  private static List<String> all(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  private static String section(String html, String id, String next) {
    return html.substring(html.indexOf("id=\"" + id + "\""), html.indexOf(next,
        html.indexOf("id=\"" + id + "\"")));
  }

  private static List<Double> accuracyBarHeights(String html) {
    return all(section(html, "accuracy", "id=\"per-class\""),
        "class=\"bar\"[^>]*height=\"([0-9.]+)\"").stream().map(Double::parseDouble).toList();
  }

  private static EvaluationReport report(ModelReport... models) {
    return new EvaluationReport("in", "test", 1, List.of("shirt", "coat"), 5, 15, "now",
        List.of(models), null);
  }

  @Test
  void theAccuracyChartStartsJustBelowTheLowestAccuracySoAPointShows() {
    String html = ReportHtml.render(report(model("teacher", 0.895), model("student", 0.865)));

    assertThat(html).contains("font-size=\"10\">0.8</text>");
    List<Double> heights = accuracyBarHeights(html);
    // floor 0.8: bars of 0.095 and 0.065 of the 0.2 range, so the gap is a third of the taller
    assertThat(heights.get(1) / heights.get(0)).isBetween(0.65, 0.72);
  }

  @Test
  void lowAccuraciesKeepTheAxisAtZero() {
    String html = ReportHtml.render(report(model("teacher", 0.3), model("student", 0.02)));
    assertThat(accuracyBarHeights(html).get(1) / accuracyBarHeights(html).get(0))
        .isBetween(0.06, 0.07);
  }

  @Test
  void trainingCurvesDrawOneLinePerTrainedModelPerMetricAndRingTheKeptEpoch() {
    String html = ReportHtml.render(report(
        model("teacher", 0.9, new double[2], new long[2][2], history(5, 3)),
        model("student", 0.85, new double[2], new long[2][2], history(4, 4)),
        model("onnx", 0.85)));

    String curves = section(html, "training", "<h2>Accuracy</h2>");
    // three metrics, two models with a log each; the ONNX model without one is left out
    assertThat(all(curves, "(<polyline)")).hasSize(6);
    assertThat(all(curves, "<polyline class=\"series\" points=\"([^\"]*)\"").get(0).split(" "))
        .hasSize(5);
    assertThat(all(curves, "<title>(teacher keeps epoch \\d+)")).containsOnly(
        "teacher keeps epoch 3");
    assertThat(all(curves, "<title>(student keeps epoch \\d+)")).containsOnly(
        "student keeps epoch 4");
    assertThat(curves).contains("<title>teacher, epoch 2: loss 0.3500</title>")
        .contains(">epoch</text>").doesNotContain("onnx");
  }

  @Test
  void theKeptEpochRingSitsOnTheLowestValidationLossPoint() {
    String html = ReportHtml.render(report(
        model("teacher", 0.9, new double[2], new long[2][2], history(5, 3))));
    String validation = html.substring(html.indexOf("Validation loss per epoch"));
    String ring = all(validation, "(<circle class=\"best\" cx=\"[0-9.]+\" cy=\"[0-9.]+\")")
        .get(0);
    List<String> points = List.of(all(validation,
        "<polyline class=\"series\" points=\"([^\"]*)\"").get(0).split(" "));
    String lowest = points.stream().max(java.util.Comparator.comparingDouble(
        p -> Double.parseDouble(p.split(",")[1]))).orElseThrow();
    // the lowest loss is the largest pixel y; epoch 3 is the third point
    assertThat(lowest).isEqualTo(points.get(2));
    assertThat(ring).contains("cx=\"" + lowest.split(",")[0] + "\" cy=\""
        + lowest.split(",")[1] + "\"");
  }

  @Test
  void perClassBarsStandSideBySideWithHeightsInProportion() {
    String html = ReportHtml.render(report(
        model("teacher", 0.9, new double[] {0.95, 0.85}, new long[2][2], null),
        model("student", 0.8, new double[] {0.75, 0.85}, new long[2][2], null)));

    String bars = section(html, "per-class", "<h2>");
    List<String> titles = all(bars, "class=\"class-bar\"[^>]*><title>([^<]*)</title>");
    assertThat(titles).containsExactly("teacher, shirt: accuracy 0.9500",
        "student, shirt: accuracy 0.7500", "teacher, coat: accuracy 0.8500",
        "student, coat: accuracy 0.8500");
    List<Double> heights = all(bars, "class=\"class-bar\"[^>]*height=\"([0-9.]+)\"").stream()
        .map(Double::parseDouble).toList();
    // floor 0.7 (just below the lowest, 0.75): heights 0.25, 0.05, 0.15, 0.15 of the 0.3 range
    assertThat(heights.get(1) / heights.get(0)).isCloseTo(0.2, org.assertj.core.data.Offset
        .offset(0.01));
    assertThat(heights.get(2)).isEqualTo(heights.get(3));
    assertThat(bars).contains(">shirt</text>").contains(">coat</text>");
  }

  @Test
  void confusionCellsAreShadedByTheirShareOfTheTrueClass() {
    long[][] confusion = {{90, 10}, {30, 30}};
    String html = ReportHtml.render(report(
        model("student", 0.75, new double[] {0.9, 0.5}, confusion, null)));

    String map = section(html, "confusion", "<h2>");
    List<String> fills = all(map, "class=\"cell\"[^>]*fill=\"(#[0-9a-f]{6})\"");
    assertThat(fills).containsExactly(Charts.heat(0.9), Charts.heat(0.1), Charts.heat(0.5),
        Charts.heat(0.5));
    assertThat(all(map, "<title>(true coat, predicted shirt[^<]*)</title>"))
        .containsExactly("true coat, predicted shirt: 30 rows (50.0% of coat)");
  }

  @Test
  void theHeatRampDarkensMonotonicallySoGreyScaleKeepsTheOrder() {
    double previous = Double.POSITIVE_INFINITY;
    for (int step = 0; step <= 10; step++) {
      int rgb = Integer.parseInt(Charts.heat(step / 10.0).substring(1), 16);
      double luminance = 0.2126 * (rgb >> 16) + 0.7152 * ((rgb >> 8) & 0xff)
          + 0.0722 * (rgb & 0xff);
      assertThat(luminance).isLessThan(previous);
      previous = luminance;
    }
    assertThat(Charts.heat(0)).isEqualTo("#ffffff");
    assertThat(Charts.heat(1)).isEqualTo(String.format("#%06x", Charts.HEAT_DARK));
  }

  @Test
  void theSeriesColoursDifferInGreyScale() {
    List<Double> luminances = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      int rgb = Integer.parseInt(Charts.colour(s).substring(1), 16);
      luminances.add(0.2126 * (rgb >> 16) + 0.7152 * ((rgb >> 8) & 0xff)
          + 0.0722 * (rgb & 0xff));
    }
    // the first three (teacher, student, baseline) at least a fifth of the range apart
    for (int a = 0; a < 3; a++) {
      for (int b = a + 1; b < 3; b++) {
        assertThat(Math.abs(luminances.get(a) - luminances.get(b))).isGreaterThan(51);
      }
    }
  }
}
