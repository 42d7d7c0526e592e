package dev.sparkdistill.common.data;

/**
 * One source row after parsing: either usable ({@code rejection == null}) or rejected with its
 * reason. {@code raw} keeps the source text of rejected rows so nothing is lost.
 */
public record ParsedRow(String id, float[] features, Integer label, String rejection, String raw) {
  /** Longest source text kept for a rejected row. */
  public static final int MAX_RAW_CHARS = 4096;

  public static ParsedRow accepted(String id, float[] features, Integer label) {
    return new ParsedRow(id, features, label, null, null);
  }

  public static ParsedRow rejected(String id, String rejection, String raw) {
    return new ParsedRow(id, null, null, rejection, truncate(raw));
  }

  public boolean isRejected() {
    return rejection != null;
  }

  private static String truncate(String raw) {
    return raw == null || raw.length() <= MAX_RAW_CHARS ? raw
        : raw.substring(0, MAX_RAW_CHARS) + "...";
  }
}
