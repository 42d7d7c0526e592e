package dev.sparkdistill.common.data;

/** The values of the {@code split} partition column of the examples and targets tables. */
public enum Split {
  TRAIN, VALIDATION, TEST;

  /** The value written in the {@code split} column. */
  public String value() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
