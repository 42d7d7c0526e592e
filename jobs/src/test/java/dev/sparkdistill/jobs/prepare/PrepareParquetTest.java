package dev.sparkdistill.jobs.prepare;

import static dev.sparkdistill.jobs.prepare.PrepareFixtures.config;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.jobs.SparkTestBase;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare on generated Parquet files: array and vector feature columns, bad rows planted. */
class PrepareParquetTest extends SparkTestBase {
  @TempDir
  Path tmp;

  private Path writeArrays(List<Row> rows) {
    StructType schema = new StructType()
        .add("key", DataTypes.StringType)
        .add("pixels", DataTypes.createArrayType(DataTypes.DoubleType, true))
        .add("target", DataTypes.DoubleType);
    Path input = tmp.resolve("arrays");
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(input.toString());
    return input;
  }

  private String[] arraySettings(Path input, Path output, String... more) {
    List<String> settings = new java.util.ArrayList<>(List.of("prepare.format=parquet",
        "prepare.output=" + output, "prepare.input.train=" + input,
        "prepare.parquet.features-column=pixels", "prepare.parquet.label-column=target",
        "prepare.parquet.id-column=key", "prepare.feature-shape=[1,2,2]",
        "prepare.validation-fraction=0", "prepare.max-rejected-fraction=1"));
    settings.addAll(List.of(more));
    return settings.toArray(String[]::new);
  }

  @Test
  void readsAnArrayColumnAndRejectsEveryKindOfBadRow() {
    Path input = writeArrays(List.of(
        RowFactory.create("a", new Double[] {0.0, 1.0, 2.0, 3.0}, 0.0),
        RowFactory.create("b", new Double[] {1.0, 1.0, 1.0, 1.0}, null),
        RowFactory.create("c", new Double[] {1.0, 1.0, 1.0}, 1.0),
        RowFactory.create("d", new Double[] {1.0, Double.NaN, 1.0, 1.0}, 1.0),
        RowFactory.create("e", new Double[] {1.0, 1.0, 1.0, Double.NEGATIVE_INFINITY}, 1.0),
        RowFactory.create("f", new Double[] {1.0, null, 1.0, 1.0}, 1.0),
        RowFactory.create("g", null, 1.0),
        RowFactory.create("h", new Double[] {1.0, 1.0, 1.0, 1.0}, 2.5),
        RowFactory.create("i", new Double[] {1.0, 1.0, 1.0, 1.0}, 4.0),
        RowFactory.create("j", new Double[] {1.0, 1.0, 1.0, 1.0}, 1.0),
        RowFactory.create("j", new Double[] {2.0, 2.0, 2.0, 2.0}, 1.0),
        RowFactory.create(null, new Double[] {1.0, 1.0, 1.0, 1.0}, 1.0)));
    Path output = tmp.resolve("examples");
    ExamplesManifest manifest = new PrepareJob(config(arraySettings(input, output,
        "prepare.class-count=3"))).run(spark);

    Map<String, String> reasons = rejected(spark, output).stream()
        .filter(r -> !r.getString(0).equals("j"))
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(2)));
    assertThat(reasons).containsOnly(
        Map.entry("c", "wrong_feature_count: expected 4 values, got 3"),
        Map.entry("d", "non_finite_feature: feature 1 is NaN"),
        Map.entry("e", "non_finite_feature: feature 3 is -Infinity"),
        Map.entry("f", "non_numeric_feature: feature 1 is null"),
        Map.entry("g", "wrong_feature_count: expected 4 values, got 0 (null)"),
        Map.entry("h", "label_not_integer: label '2.5' is not an integer"),
        Map.entry("i", "label_out_of_range: label 4 is outside [0, 3)"),
        Map.entry("null", "missing_id: the id column is empty"));
    assertThat(rejected(spark, output)).filteredOn(r -> r.getString(0).equals("j"))
        .extracting(r -> r.getString(2))
        .containsExactly("duplicate_id: id occurs 2 times", "duplicate_id: id occurs 2 times");

    List<Row> kept = spark.read().parquet(output.toString()).orderBy("id").collectAsList();
    assertThat(kept).extracting(r -> r.getString(0)).containsExactly("a", "b");
    assertThat(kept.get(0).<Float>getList(1)).containsExactly(0f, 1f, 2f, 3f);
    assertThat(kept.get(1).isNullAt(2)).isTrue();
    assertThat(manifest.featureShape()).containsExactly(1, 2, 2);
    assertThat(manifest.rows().input()).isEqualTo(12);
    assertThat(manifest.rows().written() + manifest.rows().rejected()).isEqualTo(12);
  }

  @Test
  void readsAVectorColumnAndMakesIdsFromFileAndRowIndex() {
    StructType schema = new StructType()
        .add("features", SQLDataTypes.VectorType())
        .add("label", DataTypes.IntegerType);
    Path input = tmp.resolve("vectors");
    spark.createDataFrame(List.of(
        RowFactory.create(Vectors.dense(0.5, 1.5), 1),
        RowFactory.create(Vectors.sparse(2, new int[] {1}, new double[] {2.0}), 0),
        RowFactory.create(Vectors.dense(3.0, 4.0), 1),
        RowFactory.create(null, 0)), schema)
        .coalesce(1).write().parquet(input.toString());
    Path output = tmp.resolve("examples");
    ExamplesManifest manifest = new PrepareJob(config("prepare.format=parquet",
        "prepare.output=" + output, "prepare.input.train=" + input,
        "prepare.validation-fraction=0", "prepare.max-rejected-fraction=0.5")).run(spark);

    // A null vector is a rejected row, as a null array is.
    assertThat(rejected(spark, output)).extracting(r -> r.getString(2))
        .containsExactly("wrong_feature_count: expected 2 values, got 0 (null)");
    List<Row> rows = spark.read().parquet(output.toString()).orderBy("id").collectAsList();
    assertThat(rows).extracting(r -> r.getString(0).replaceAll("part-[^:]+:", "part:"))
        .containsExactly("train/part:0", "train/part:1", "train/part:2");
    assertThat(rows.get(1).<Float>getList(1)).containsExactly(0f, 2f);
    assertThat(manifest.featureShape()).containsExactly(2);
    assertThat(manifest.classCount()).isEqualTo(2);
  }

  @Test
  void refusesFilesOfOneInputWhoseColumnTypesDisagreeBeforeReadingRows() {
    Path input = tmp.resolve("mixed");
    spark.createDataFrame(List.of(RowFactory.create(new Double[] {1.0, 2.0}, 1.0)),
        new StructType().add("features", DataTypes.createArrayType(DataTypes.DoubleType))
            .add("label", DataTypes.DoubleType)).write().parquet(input.toString());
    spark.createDataFrame(List.of(RowFactory.create(new Float[] {1f, 2f}, 1.0)),
        new StructType().add("features", DataTypes.createArrayType(DataTypes.FloatType))
            .add("label", DataTypes.DoubleType)).write().mode("append").parquet(input.toString());
    assertThatThrownBy(() -> new PrepareJob(config("prepare.format=parquet",
        "prepare.output=" + tmp.resolve("examples"), "prepare.input.train=" + input))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("prepare.input.train = " + input + ": its Parquet files do not "
            + "share one schema: ")
        .hasMessageContaining("DOUBLE").hasMessageContaining("FLOAT")
        .hasMessageNotContaining("\n");
    assertThat(tmp.resolve("examples/_SUCCESS")).doesNotExist();
  }

  @Test
  void namesAFeatureColumnOfTheWrongType() {
    StructType schema = new StructType().add("pixels", DataTypes.StringType);
    Path input = tmp.resolve("strings");
    spark.createDataFrame(List.of(RowFactory.create("1,2")), schema).write()
        .parquet(input.toString());
    assertThatThrownBy(() -> new PrepareJob(config("prepare.format=parquet",
        "prepare.output=" + tmp.resolve("examples"), "prepare.input.train=" + input,
        "prepare.parquet.features-column=pixels", "prepare.parquet.label-column=")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.parquet.features-column = 'pixels' has type string; expected an "
            + "array of numbers or a Spark ML vector");
  }

  @Test
  void namesAMissingLabelColumnAndListsTheColumns() {
    Path input = writeArrays(List.of(RowFactory.create("a", new Double[] {1.0, 2.0, 3.0, 4.0}, 1.0)));
    assertThatThrownBy(() -> new PrepareJob(config(arraySettings(input, tmp.resolve("examples"),
        "prepare.parquet.label-column=class"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.parquet.label-column = 'class' is not a column of " + input
            + "; its columns are " + Arrays.toString(new String[] {"key", "pixels", "target"}));
  }
}
