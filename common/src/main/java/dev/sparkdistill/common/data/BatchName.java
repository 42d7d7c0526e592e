package dev.sparkdistill.common.data;

import dev.sparkdistill.common.config.Settings;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * The name of an ingest batch, as it appears in a table's {@code batch=} directories. Spark
 * infers a type for partition values when it reads a table, and a name has to come back from
 * that as it was written: so a name is a date ({@code 2026-11-30}, a scheduler's logical date),
 * a whole number without a leading zero, or a word that starts with a letter. {@code 01},
 * {@code 1.50} or {@code 1e5} would come back as {@code 1}, {@code 1.5} or {@code 100000.0}.
 */
public final class BatchName {
  private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
  private static final Pattern NUMBER = Pattern.compile("0|[1-9]\\d{0,17}");
  private static final Pattern WORD = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,99}");

  private BatchName() {}

  /** The key of a scheduled run's batch, outside every section. */
  public static final String KEY = "batch";

  /** The run's batch ({@value #KEY}), checked; "" when none is given. */
  public static String of(com.typesafe.config.Config config) {
    String batch = new Settings(config).string(KEY);
    return batch.isEmpty() ? batch : check(KEY, batch);
  }

  /** {@code name}, or a refusal naming {@code key} and what a batch name may be. */
  public static String check(String key, String name) {
    if (DATE.matcher(name).matches()) {
      try {
        LocalDate.parse(name);
        return name;
      } catch (DateTimeParseException e) {
        throw Settings.invalid(key, "a real date (yyyy-mm-dd)", name);
      }
    }
    if (NUMBER.matcher(name).matches() || WORD.matcher(name).matches()) {
      return name;
    }
    throw Settings.invalid(key, "a date such as 2026-11-30, a whole number without a leading "
        + "zero, or a word of letters, digits, '-' and '_' that starts with a letter", name);
  }
}
