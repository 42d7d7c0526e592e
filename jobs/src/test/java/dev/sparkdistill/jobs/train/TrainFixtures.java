package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.TrainConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Train configs from settings, and a synthetic targets table scored by a fixed linear teacher. */
final class TrainFixtures {
  static final int FEATURES = 12;
  static final int CLASSES = 4;

  private TrainFixtures() {}

  static TrainConfig config(String... settings) {
    return TrainConfig.from(ConfigLayers.resolve(Optional.empty(), "", Arrays.asList(settings)));
  }

  /**
   * Rows x ~ N(0, 1) scored by the teacher z = W x (W seeded); the hard label is argmax z for
   * labeled rows, null for every third training row. Written with a targets manifest.
   */
  static Path syntheticTargets(SparkSession spark, Path dir, int rows, long seed) {
    Random random = new Random(seed);
    float[][] weights = new float[CLASSES][FEATURES];
    for (float[] row : weights) {
      for (int j = 0; j < FEATURES; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      float[] x = new float[FEATURES];
      for (int j = 0; j < FEATURES; j++) {
        x[j] = (float) random.nextGaussian();
      }
      float[] z = new float[CLASSES];
      int best = 0;
      for (int c = 0; c < CLASSES; c++) {
        for (int j = 0; j < FEATURES; j++) {
          z[c] += weights[c][j] * x[j];
        }
        best = z[c] > z[best] ? c : best;
      }
      String split = i % 5 == 0 ? "validation" : "train";
      Integer label = split.equals("train") && i % 3 == 0 ? null : best;
      data.add(RowFactory.create("row-" + i, x, label, z, split));
    }
    StructType schema = new StructType()
        .add("id", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType))
        .add("label", DataTypes.IntegerType)
        .add("teacher_logits", DataTypes.createArrayType(DataTypes.FloatType))
        .add("split", DataTypes.StringType);
    Path table = dir.resolve("targets");
    spark.createDataFrame(data, schema).repartition(2).write().partitionBy("split")
        .parquet(table.toString());
    writeManifest(table, "targets", List.of(FEATURES), CLASSES);
    return table;
  }

  static void writeManifest(Path table, String kind, List<Integer> shape, int classes) {
    List<String> names = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      names.add("\"class-" + c + "\"");
    }
    String json = "{\"schemaVersion\": 1, \"kind\": \"" + kind + "\", \"featureShape\": "
        + shape + ", \"featureCount\": " + shape.stream().reduce(1, (a, b) -> a * b)
        + ", \"classCount\": " + classes + ", \"classNames\": " + names + "}";
    try {
      Files.writeString(table.resolve("_manifest.json"), json);
      Files.writeString(table.resolve("_SUCCESS"), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
