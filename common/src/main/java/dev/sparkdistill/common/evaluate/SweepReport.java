package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.config.Settings;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code sweep.json}: every student of a temperature and alpha grid, measured on one split, and
 * the best of them (highest accuracy, then lowest NLL).
 */
public record SweepReport(String input, String split, long rows, String createdAt,
    List<Entry> entries, String best) {

  /**
   * One student of the grid; the baseline is the entry with alpha = 0. {@code training} is null
   * when its directory holds no training log.
   */
  public record Entry(String name, double temperature, double alpha, double accuracy,
      Double teacherAgreement, double ece, double nll, TrainingHistory training) {}

  public static SweepReport of(String input, String split, long rows, String createdAt,
      List<Entry> entries) {
    Entry best = entries.stream().max(Comparator.comparingDouble(Entry::accuracy)
        .thenComparing(Comparator.comparingDouble(Entry::nll).reversed())).orElseThrow();
    return new SweepReport(input, split, rows, createdAt, List.copyOf(entries), best.name());
  }

  /** The terminal form: one line per student, the best marked with '*'. */
  public String table() {
    StringBuilder text = new StringBuilder();
    text.append(String.format(Locale.ROOT, "sweep on the %s split, %d rows of %s%n", split, rows,
        input));
    text.append(String.format(Locale.ROOT, "  %-12s %5s %5s %9s %10s %7s %7s%n", "student", "T",
        "alpha", "accuracy", "agreement", "ECE", "NLL"));
    for (Entry e : entries) {
      text.append(String.format(Locale.ROOT, "%s %-12s %5s %5s %9.4f %10s %7.4f %7.4f%n",
          e.name().equals(best) ? "*" : " ", e.name(), e.alpha() == 0 ? "-"
              : trim(e.temperature()), trim(e.alpha()), e.accuracy(),
          e.teacherAgreement() == null ? "-"
              : String.format(Locale.ROOT, "%.4f", e.teacherAgreement()), e.ece(), e.nll()));
    }
    Entry top = entries.stream().filter(e -> e.name().equals(best)).findFirst().orElseThrow();
    text.append(top.alpha() == 0 ? "best: the hard-label baseline\n"
        : String.format(Locale.ROOT, "best: T = %s, alpha = %s%n", trim(top.temperature()),
            trim(top.alpha())));
    return text.toString();
  }

  static String trim(double value) {
    return Settings.show(value);
  }
}
