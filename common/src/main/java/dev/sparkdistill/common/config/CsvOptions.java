package dev.sparkdistill.common.config;

import java.io.Serializable;
import java.util.Optional;

/** How {@code prepare} reads CSV files. */
public record CsvOptions(boolean header, char delimiter, Optional<ColumnRef> labelColumn,
    Optional<ColumnRef> idColumn) implements Serializable {

  static CsvOptions from(Settings settings, String prefix) {
    boolean header = settings.bool(prefix + ".header");
    String delimiter = settings.untrimmed(prefix + ".delimiter");
    if (delimiter.equals("\\t")) {
      delimiter = "\t";
    }
    if (delimiter.length() != 1) {
      throw Settings.invalid(prefix + ".delimiter", "a single character", delimiter);
    }
    return new CsvOptions(header, delimiter.charAt(0),
        column(settings, prefix + ".label-column", header),
        column(settings, prefix + ".id-column", header));
  }

  private static Optional<ColumnRef> column(Settings settings, String key, boolean header) {
    String text = settings.string(key);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    ColumnRef ref = new ColumnRef(text);
    if (!header && !ref.isIndex()) {
      throw Settings.invalid(key,
          "a 0-based column index when prepare.csv.header = false", text);
    }
    return Optional.of(ref);
  }
}
