package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import java.util.Locale;

/**
 * The comparison a user judges a distillation by, as plain text for the terminal: every model's
 * accuracy, agreement with the teacher, calibration, size and speed against the teacher.
 */
public final class SummaryTable {
  private SummaryTable() {}

  public static String render(EvaluationReport report) {
    StringBuilder text = new StringBuilder();
    text.append(String.format(Locale.ROOT, "%s split, %d rows of %s%n", report.split(),
        report.rows(), report.input()));
    text.append(String.format(Locale.ROOT, "%-12s %9s %10s %7s %11s %9s %8s%n", "model",
        "accuracy", "agreement", "ECE", "parameters", "size", "speedup"));
    for (ModelReport m : report.models()) {
      text.append(String.format(Locale.ROOT, "%-12s %9.4f %10s %7.4f %11d %9s %8s%n", m.name(),
          m.accuracy(), orDash(m.teacherAgreement(), "%.4f"), m.ece(), m.parameters(),
          orDash(m.sizeRatioToTeacher(), "%.3fx"), orDash(m.speedupOverTeacher(), "%.1fx")));
    }
    if (report.batches() != null) {
      text.append(String.format(Locale.ROOT, "accuracy by batch:%n%-12s %7s", "batch", "rows"));
      report.models().forEach(m -> text.append(String.format(Locale.ROOT, " %12s",
          m.name().length() > 12 ? m.name().substring(0, 12) : m.name())));
      text.append(String.format(Locale.ROOT, "%n"));
      for (EvaluationReport.BatchReport b : report.batches()) {
        text.append(String.format(Locale.ROOT, "%-12s %7d", b.batch(), b.rows()));
        report.models().forEach(m -> text.append(String.format(Locale.ROOT, " %12.4f",
            b.accuracy().get(m.name()))));
        text.append(String.format(Locale.ROOT, "%n"));
      }
    }
    return text.toString();
  }

  private static String orDash(Double value, String format) {
    return value == null || value.isNaN() ? "-" : String.format(Locale.ROOT, format, value);
  }
}
