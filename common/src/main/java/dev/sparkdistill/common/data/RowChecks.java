package dev.sparkdistill.common.data;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The checks every source row passes before it enters the examples table. Each returns
 * {@code null} when the value is usable, else the reject reason.
 */
public final class RowChecks {
  private static final Pattern INTEGER = Pattern.compile("[-+]?\\d+");

  private RowChecks() {}

  /** Feature count and finiteness of already-numeric values. */
  public static String checkFeatures(float[] values, int expectedCount) {
    if (values.length != expectedCount) {
      return wrongCount(expectedCount, values.length);
    }
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return RejectReason.NON_FINITE_FEATURE.because(
            "feature " + i + " is " + values[i]);
      }
    }
    return null;
  }

  public static String wrongCount(int expected, int got) {
    return RejectReason.WRONG_FEATURE_COUNT.because(
        "expected " + expected + " values, got " + got);
  }

  /**
   * Parses feature text; on failure returns the reason instead.
   *
   * @param name how to name the value in a reason (e.g. its CSV column)
   */
  public static Object parseFeature(String text, String name) {
    String trimmed = text.trim();
    float value;
    try {
      value = Float.parseFloat(trimmed);
    } catch (NumberFormatException e) {
      return RejectReason.NON_NUMERIC_FEATURE.because(
          name + " is '" + abbreviate(trimmed) + "', not a number");
    }
    if (!Float.isFinite(value)) {
      return RejectReason.NON_FINITE_FEATURE.because(name + " is " + trimmed);
    }
    return value;
  }

  /** Label text: empty means unlabeled; otherwise an integer, possibly written as 3.0. */
  public static Object parseLabel(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      return null;
    }
    if (INTEGER.matcher(trimmed).matches()) {
      try {
        return checkLabelRange(Long.parseLong(trimmed));
      } catch (NumberFormatException e) {
        return notInteger(trimmed);
      }
    }
    try {
      return integralLabel(Double.parseDouble(trimmed), trimmed);
    } catch (NumberFormatException e) {
      return notInteger(trimmed);
    }
  }

  /** A numeric label value (e.g. from a Parquet double column). */
  public static Object integralLabel(double value, Object shown) {
    if (!Double.isFinite(value) || value != Math.rint(value)) {
      return notInteger(String.valueOf(shown));
    }
    return checkLabelRange((long) value);
  }

  private static Object checkLabelRange(long value) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      return RejectReason.LABEL_OUT_OF_RANGE.because("label " + value + " is negative or too large");
    }
    return (int) value;
  }

  /** The upper bound, once the class count is known. */
  public static String checkLabelBelow(int label, int classCount) {
    return label < classCount ? null : RejectReason.LABEL_OUT_OF_RANGE.because(
        "label " + label + " is outside [0, " + classCount + ")");
  }

  private static String notInteger(String text) {
    return RejectReason.LABEL_NOT_INTEGER.because("label '" + abbreviate(text) + "' is not an integer");
  }

  static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }

  /** Readable text of a rejected row's values, for the raw column. */
  public static String describe(float[] values) {
    return values == null ? null : Arrays.toString(values);
  }
}
