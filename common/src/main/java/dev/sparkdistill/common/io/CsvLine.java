package dev.sparkdistill.common.io;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one CSV line into fields. Fields may be double-quoted, with {@code ""} for a quote inside;
 * a quoted field cannot span lines (rows are lines, so files split across tasks).
 */
public final class CsvLine {
  private CsvLine() {}

  public static List<String> split(String line, char delimiter) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"' && field.toString().isBlank()) {
        quoted = true;
        field.setLength(0);
      } else if (c == delimiter) {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    fields.add(stripCarriageReturn(field.toString()));
    return fields;
  }

  private static String stripCarriageReturn(String field) {
    return field.endsWith("\r") ? field.substring(0, field.length() - 1) : field;
  }
}
