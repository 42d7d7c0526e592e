package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import java.util.List;
import java.util.Locale;

/**
 * Renders {@code report.html}: one self-contained page (inline CSS and SVG, no scripts or
 * network) with the comparison table, the models' training curves, an accuracy chart, accuracy
 * per class side by side, and a confusion matrix and a reliability diagram per model.
 */
public final class ReportHtml {
  private static final int CHART_W = 360;
  private static final int CHART_H = 220;

  private ReportHtml() {}

  public static String render(EvaluationReport report) {
    StringBuilder html = pageStart("spark-distill evaluation");
    html.append("<h1>Evaluation on the ").append(escape(report.split())).append(" split</h1>")
        .append("<p>").append(report.rows()).append(" rows of ").append(escape(report.input()))
        .append(", ").append(report.createdAt()).append("</p>\n");
    table(html, report);
    if (report.batches() != null) {
      batchTable(html, report);
    }
    Charts.trainingCurves(html, "training", report.models().stream()
        .map(m -> new Charts.Curves(m.name(), m.training())).toList());
    html.append("<h2>Accuracy</h2><div class=\"charts\" id=\"accuracy\">");
    accuracyChart(html, report);
    html.append("</div>\n<h2>Accuracy per class</h2>");
    List<String> classes = classNames(report);
    Charts.groupedBars(html, "per-class", classes,
        report.models().stream().map(ModelReport::name).toList(),
        report.models().stream().map(ModelReport::perClassAccuracy).toList());
    html.append("<h2>Confusion matrices</h2><p>Rows: the true class; columns: the predicted "
        + "one; shade: the share of the true class's rows.</p><div class=\"charts\" "
        + "id=\"confusion\">");
    for (ModelReport model : report.models()) {
      Charts.heatmap(html, model.name(), classes, model.confusion());
    }
    html.append("</div>\n<h2>Reliability (").append(report.calibrationBins())
        .append(" bins)</h2><div class=\"charts\" id=\"reliability\">");
    for (ModelReport model : report.models()) {
      reliabilityChart(html, model);
    }
    html.append("</div>\n</body></html>\n");
    return html.toString();
  }

  /** The manifest's class names, or the class indexes when it has none. */
  private static List<String> classNames(EvaluationReport report) {
    return dev.sparkdistill.common.manifest.TableShape.namesOrIndexes(report.classNames(),
        report.models().get(0).confusion().length);
  }

  private static void table(StringBuilder html, EvaluationReport report) {
    html.append("<table id=\"summary\"><tr><th>model</th><th>accuracy</th><th>top-")
        .append(report.topK()).append("</th><th>NLL</th><th>ECE</th><th>agreement</th>")
        .append("<th>KL(teacher||model)</th><th>parameters</th><th>file bytes</th>")
        .append("<th>rows/s</th><th>latency ms</th><th>engine</th><th>size vs teacher</th>")
        .append("<th>speedup</th></tr>\n");
    for (ModelReport m : report.models()) {
      html.append("<tr><td>").append(escape(m.name())).append("</td>")
          .append(cell(m.accuracy())).append(cell(m.topKAccuracy())).append(cell(m.nll()))
          .append(cell(m.ece())).append(cell(m.teacherAgreement()))
          .append(cell(m.meanKlFromTeacher())).append("<td>").append(m.parameters())
          .append("</td><td>").append(m.fileBytes()).append("</td>")
          .append(String.format(Locale.ROOT, "<td>%.0f</td><td>%.3f</td>",
              m.throughputRowsPerSecond(), m.latencyMillis()))
          .append("<td>").append(m.engine() == null ? "n/a" : escape(m.engine())).append("</td>")
          .append(cell(m.sizeRatioToTeacher())).append(cell(m.speedupOverTeacher()))
          .append("</tr>\n");
    }
    html.append("</table>\n");
  }

  /** Accuracy and agreement per ingest batch, a column per model and measure. */
  private static void batchTable(StringBuilder html, EvaluationReport report) {
    List<String> names = report.models().stream().map(ModelReport::name).toList();
    boolean agreement = report.batches().stream().anyMatch(b -> b.teacherAgreement() != null);
    html.append("<h2>By batch</h2><table id=\"batches\"><tr><th>batch</th><th>rows</th>");
    names.forEach(n -> html.append("<th>accuracy ").append(escape(n)).append("</th>"));
    if (agreement) {
      names.forEach(n -> html.append("<th>agreement ").append(escape(n)).append("</th>"));
    }
    html.append("</tr>\n");
    for (EvaluationReport.BatchReport b : report.batches()) {
      html.append("<tr><td>").append(escape(b.batch())).append("</td><td>").append(b.rows())
          .append("</td>");
      names.forEach(n -> html.append(cell(b.accuracy().get(n))));
      if (agreement) {
        names.forEach(n -> html.append(cell(b.teacherAgreement().get(n))));
      }
      html.append("</tr>\n");
    }
    html.append("</table>\n");
  }

  private static String cell(Double value) {
    return "<td>" + (value == null || value.isNaN() ? "n/a"
        : String.format(Locale.ROOT, "%.4f", value)) + "</td>";
  }

  /** Bars from a floor just below the lowest accuracy, so differences of a point show. */
  private static void accuracyChart(StringBuilder html, EvaluationReport report) {
    int n = report.models().size();
    int bar = Math.max(12, (CHART_W - 40) / Math.max(1, n) - 10);
    double lowest = report.models().stream().mapToDouble(ModelReport::accuracy).min().orElse(0);
    double floor = Math.max(0, Math.floor((lowest - 0.05) * 10) / 10);
    html.append(svgOpen("accuracy of each model"));
    axes(html, floor);
    for (int i = 0; i < n; i++) {
      ModelReport m = report.models().get(i);
      double h = (CHART_H - 40) * (m.accuracy() - floor) / (1 - floor);
      int x = 40 + i * (bar + 10);
      html.append(String.format(Locale.ROOT,
          "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#4a7fb5\">"
              + "<title>%s %.4f</title></rect><text x=\"%d\" y=\"%.1f\" font-size=\"10\">%.4f"
              + "</text><text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>",
          x, CHART_H - 20 - h, bar, h, escape(m.name()), m.accuracy(), x, CHART_H - 24 - h,
          m.accuracy(), x, CHART_H - 6, escape(m.name())));
    }
    html.append("</svg>");
  }

  private static void reliabilityChart(StringBuilder html, ModelReport model) {
    html.append("<figure><figcaption>").append(escape(model.name()))
        .append("</figcaption>").append(svgOpen("reliability diagram of " + model.name()));
    axes(html, 0);
    double plotW = CHART_W - 50;
    double plotH = CHART_H - 40;
    html.append(String.format(Locale.ROOT, "<line x1=\"40\" y1=\"%d\" x2=\"%.1f\" y2=\"20\" "
        + "stroke=\"#999\" stroke-dasharray=\"4\"/>", CHART_H - 20, 40 + plotW));
    int bins = model.reliability().length;
    for (int b = 0; b < bins; b++) {
      double accuracy = model.reliability()[b][2];
      if (Double.isNaN(accuracy)) {
        continue;
      }
      double w = plotW / bins;
      html.append(String.format(Locale.ROOT,
          "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
              + "fill=\"#e08a3c\"><title>confidence %.2f-%.2f: accuracy %.3f of %d rows</title>"
              + "</rect>", 40 + b * w, CHART_H - 20 - plotH * accuracy, w - 1, plotH * accuracy,
          (double) b / bins, (double) (b + 1) / bins, accuracy,
          (long) model.reliability()[b][0]));
    }
    html.append("</svg></figure>");
  }

  private static String svgOpen(String label) {
    return String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
        + "height=\"%d\" role=\"img\" aria-label=\"%s\">", CHART_W, CHART_H, escape(label));
  }

  private static void axes(StringBuilder html, double floor) {
    html.append(String.format(Locale.ROOT, "<line x1=\"40\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
        + "stroke=\"#333\"/><line x1=\"40\" y1=\"20\" x2=\"40\" y2=\"%d\" stroke=\"#333\"/>"
        + "<text x=\"4\" y=\"24\" font-size=\"10\">1.0</text><text x=\"4\" y=\"%d\" "
        + "font-size=\"10\">%.1f</text>", CHART_H - 20, CHART_W - 10, CHART_H - 20, CHART_H - 20,
        CHART_H - 20, floor));
  }

  /** The opening of a self-contained page: inline CSS for tables and charts, no scripts. */
  static StringBuilder pageStart(String title) {
    return new StringBuilder(8192)
        .append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(escape(title)).append("</title><style>")
        .append("body{font-family:sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:right}th{background:#f0f0f0}td:first-child{text-align:left}")
        .append("tr.best{font-weight:bold}.charts{display:flex;flex-wrap:wrap;gap:24px}")
        .append("figure{margin:0}</style></head><body>\n");
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
