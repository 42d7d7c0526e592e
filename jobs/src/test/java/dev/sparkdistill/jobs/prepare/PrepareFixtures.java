package dev.sparkdistill.jobs.prepare;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Builds prepare configs from --set style settings and reads what the job wrote. */
final class PrepareFixtures {
  private PrepareFixtures() {}

  static PrepareConfig config(String... settings) {
    return PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", Arrays.asList(settings)));
  }

  static ExamplesManifest manifest(Path output) {
    try {
      return ManifestJson.read(Files.readString(output.resolve("_manifest.json")),
          ExamplesManifest.class, "_manifest.json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean looksComplete(Path output) {
    return Files.exists(output.resolve("_SUCCESS")) || Files.exists(output.resolve("_manifest.json"));
  }

  /** The rejected rows: id, reason code, reason, raw, features, label; ordered by id. */
  static List<Row> rejected(SparkSession spark, Path output) {
    return spark.read().parquet(output.resolve("_rejected").toString())
        .selectExpr("id", "substring_index(reason, ':', 1) AS code", "reason", "raw", "features",
            "label")
        .orderBy("id").collectAsList();
  }
}
