package dev.sparkdistill.common.config;

import java.io.Serializable;
import java.util.Optional;

/** How {@code prepare} reads Parquet files. */
public record ParquetOptions(String featuresColumn, Optional<String> labelColumn,
    Optional<String> idColumn) implements Serializable {

  static ParquetOptions from(Settings settings, String prefix) {
    return new ParquetOptions(
        settings.required(prefix + ".features-column", "the name of the feature column"),
        optional(settings.string(prefix + ".label-column")),
        optional(settings.string(prefix + ".id-column")));
  }

  private static Optional<String> optional(String value) {
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }
}
