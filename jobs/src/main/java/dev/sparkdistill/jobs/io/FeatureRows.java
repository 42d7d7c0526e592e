package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.manifest.TargetsManifest;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The rows of an examples or targets table with their features, for the jobs that read either
 * ({@code train}, {@code evaluate}). A targets table is checked against the examples it was
 * scored from; a targets-only one ({@code infer.include-features = false}, the default) is
 * joined to their features by id and split.
 */
public final class FeatureRows {
  private FeatureRows() {}

  /**
   * @param input the table's location and manifest, already checked complete
   * @param stored the table as read
   * @param key the config key that names the table, for messages
   */
  public static Dataset<Row> of(SparkSession spark, InputTable input, Dataset<Row> stored,
      String key) {
    if (!TargetsManifest.KIND.equals(input.shape().kind())) {
      return stored;
    }
    TargetsManifest targets = input.manifest(TargetsManifest.class);
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    checkStillMatchesExamples(key, input.location(), targets, conf);
    if (Arrays.asList(stored.columns()).contains("features")) {
      return stored;
    }
    if (targets.examples() == null
        || !new OutputDirectory(targets.examples(), conf).isComplete()) {
      throw new DistillException(key + " = " + input.location() + " holds no features (infer."
          + "include-features = false), and the examples it was scored from, "
          + targets.examples() + ", are not a complete examples table any more; score them "
          + "again with include-features = true, or restore the examples");
    }
    // The split is a join key too, so reading one split reads only that split of the examples.
    Dataset<Row> features = spark.read().parquet(targets.examples())
        .select("id", "split", "features");
    return stored.join(features, scala.collection.JavaConverters.asScalaBuffer(
        List.of("id", "split")).toSeq());
  }

  /**
   * A targets table names the examples it was scored from and their manifest's digest. When
   * those examples have been prepared again since, the scores may not belong to the rows any
   * more: refuse, rather than train on a mismatch. Examples that are gone are no obstacle to a
   * table that carries its features.
   */
  private static void checkStillMatchesExamples(String key, String location,
      TargetsManifest targets, Configuration conf) {
    if (targets.examples() == null || targets.examplesManifestDigest() == null) {
      return;
    }
    OutputDirectory examples = new OutputDirectory(targets.examples(), conf);
    if (!examples.isComplete()) {
      return;
    }
    String text = HadoopFiles.readText(examples.child(OutputDirectory.MANIFEST).toString(), conf);
    String digest = ConfigRendering.sha256(text);
    if (!digest.equals(targets.examplesManifestDigest())) {
      throw new DistillException(key + " = " + location + " was scored from the examples at "
          + targets.examples() + ", which have been written again since (manifest digest "
          + targets.examplesManifestDigest() + ", now " + digest + "); run infer again");
    }
    TableShape shape = ManifestJson.read(text, TableShape.class, targets.examples());
    if (shape.featureCount() != targets.featureCount()
        || shape.classCount() != targets.classCount()) {
      throw new DistillException(key + " = " + location + " claims " + targets.featureCount()
          + " features and " + targets.classCount() + " classes but its examples at "
          + targets.examples() + " have " + shape.featureCount() + " and " + shape.classCount());
    }
  }
}
