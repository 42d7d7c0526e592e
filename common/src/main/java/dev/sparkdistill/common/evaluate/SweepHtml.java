package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.evaluate.SweepReport.Entry;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Renders {@code sweep.html}: one self-contained page with the grid's table and, for accuracy,
 * agreement and ECE, a chart of the metric against alpha with one line per temperature and the
 * hard-label baseline as a dashed line; then every student's training curves.
 */
public final class SweepHtml {
  private static final int W = 380;
  private static final int H = 240;
  private static final String[] COLOURS = {"#4a7fb5", "#e08a3c", "#5aa05a", "#c05050",
      "#8a6bb5", "#808080"};

  private SweepHtml() {}

  public static String render(SweepReport report) {
    StringBuilder html = ReportHtml.pageStart("spark-distill sweep");
    html.append("<h1>Temperature and alpha sweep on the ")
        .append(ReportHtml.escape(report.split())).append(" split</h1><p>")
        .append(report.rows()).append(" rows of ").append(ReportHtml.escape(report.input()))
        .append(", ").append(report.createdAt()).append(". Bold: the best student.</p>\n");
    table(html, report);
    html.append("<div class=\"charts\" id=\"charts\">");
    chart(html, report, "accuracy", Entry::accuracy);
    chart(html, report, "agreement", e -> e.teacherAgreement() == null ? Double.NaN
        : e.teacherAgreement());
    chart(html, report, "ECE", Entry::ece);
    html.append("</div>\n");
    Charts.trainingCurves(html, "training", report.entries().stream()
        .map(e -> new Charts.Curves(e.name(), e.training())).toList());
    html.append("</body></html>\n");
    return html.toString();
  }

  private static void table(StringBuilder html, SweepReport report) {
    html.append("<table id=\"sweep\"><tr><th>student</th><th>T</th><th>alpha</th>")
        .append("<th>accuracy</th><th>agreement</th><th>ECE</th><th>NLL</th></tr>\n");
    for (Entry e : report.entries()) {
      html.append(e.name().equals(report.best()) ? "<tr class=\"best\">" : "<tr>")
          .append("<td>").append(ReportHtml.escape(e.name())).append("</td><td>")
          .append(e.alpha() == 0 ? "-" : SweepReport.trim(e.temperature())).append("</td><td>")
          .append(SweepReport.trim(e.alpha())).append("</td>")
          .append(String.format(Locale.ROOT, "<td>%.4f</td><td>%s</td><td>%.4f</td>"
              + "<td>%.4f</td></tr>\n", e.accuracy(), e.teacherAgreement() == null ? "n/a"
              : String.format(Locale.ROOT, "%.4f", e.teacherAgreement()), e.ece(), e.nll()));
    }
    html.append("</table>\n");
  }

  private static void chart(StringBuilder html, SweepReport report, String metric,
      ToDoubleFunction<Entry> value) {
    List<Entry> shown = report.entries().stream()
        .filter(e -> !Double.isNaN(value.applyAsDouble(e))).toList();
    if (shown.isEmpty()) {
      return;
    }
    double low = shown.stream().mapToDouble(value).min().orElseThrow();
    double high = shown.stream().mapToDouble(value).max().orElseThrow();
    double pad = Math.max((high - low) * 0.1, 1e-3);
    Scale y = new Scale(low - pad, high + pad);
    html.append(String.format(Locale.ROOT, "<figure><figcaption>%s against alpha</figcaption>"
        + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
        + "aria-label=\"%s against alpha\"><line x1=\"50\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
        + "stroke=\"#333\"/><line x1=\"50\" y1=\"20\" x2=\"50\" y2=\"%d\" stroke=\"#333\"/>"
        + "<text x=\"2\" y=\"24\" font-size=\"10\">%.3f</text><text x=\"2\" y=\"%d\" "
        + "font-size=\"10\">%.3f</text><text x=\"46\" y=\"%d\" font-size=\"10\">0</text>"
        + "<text x=\"%d\" y=\"%d\" font-size=\"10\">1</text>", metric, W, H, metric, H - 30,
        W - 10, H - 30, H - 30, y.high, H - 30, y.low, H - 16, W - 14, H - 16));
    TreeMap<Double, List<Entry>> byTemperature = new TreeMap<>();
    for (Entry e : shown) {
      if (e.alpha() == 0) {
        double py = y.pixel(value.applyAsDouble(e));
        html.append(String.format(Locale.ROOT, "<line class=\"baseline\" x1=\"50\" y1=\"%.1f\" "
            + "x2=\"%d\" y2=\"%.1f\" stroke=\"#333\" stroke-dasharray=\"4\"><title>baseline "
            + "%.4f</title></line>", py, W - 10, py, value.applyAsDouble(e)));
      } else {
        byTemperature.computeIfAbsent(e.temperature(), t -> new java.util.ArrayList<>()).add(e);
      }
    }
    int series = 0;
    for (var line : byTemperature.entrySet()) {
      String colour = COLOURS[series % COLOURS.length];
      StringBuilder points = new StringBuilder();
      for (Entry e : line.getValue().stream()
          .sorted(java.util.Comparator.comparingDouble(Entry::alpha)).toList()) {
        double px = 50 + (W - 60) * e.alpha();
        double py = y.pixel(value.applyAsDouble(e));
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        html.append(String.format(Locale.ROOT, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" "
            + "r=\"3\" fill=\"%s\"><title>%s %.4f</title></circle>", px, py, colour,
            ReportHtml.escape(e.name()), value.applyAsDouble(e)));
      }
      html.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" "
          + "stroke=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\">T=%s</text>",
          points.toString().trim(), colour, W - 60, 30 + 12 * series, colour,
          SweepReport.trim(line.getKey())));
      series++;
    }
    html.append("</svg></figure>");
  }

  /** Maps a metric value onto the plot's vertical pixels. */
  private record Scale(double low, double high) {
    double pixel(double value) {
      return (H - 30) - (H - 50) * (value - low) / (high - low);
    }
  }
}
