package dev.sparkdistill.common.data;

/**
 * Why a row went to the {@code _rejected} table. The reason column holds the code, a colon and
 * a detail naming the column or value, e.g. {@code wrong_feature_count: expected 784 values, got 783}.
 */
public enum RejectReason {
  WRONG_FEATURE_COUNT,
  NON_NUMERIC_FEATURE,
  NON_FINITE_FEATURE,
  LABEL_NOT_INTEGER,
  LABEL_OUT_OF_RANGE,
  MISSING_ID,
  DUPLICATE_ID,
  /** An image file of zero bytes. */
  EMPTY_FILE,
  /** A file listed that cannot be read (gone, or not a file). */
  MISSING_FILE,
  /** Not an image the readers know, or a damaged or truncated one. */
  UNDECODABLE_IMAGE,
  IMAGE_TOO_SMALL,
  IMAGE_TOO_LARGE,
  /** An image's folder or listed label is not one of the classes. */
  UNKNOWN_CLASS;

  /** The code as written in the reason column. */
  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public String because(String detail) {
    return code() + ": " + detail;
  }

  /** The code at the start of a reason string. */
  public static String codeOf(String reason) {
    int colon = reason.indexOf(':');
    return colon < 0 ? reason : reason.substring(0, colon);
  }
}
