package dev.sparkdistill.jobs.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.jobs.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** prepare's row functions on tiny DataFrames, without files or a job around them. */
class ExampleDatasetsTest extends SparkTestBase {
  private static final StructType ROWS = new StructType()
      .add(ParsedRows.ID, DataTypes.StringType)
      .add(ParsedRows.FEATURES, DataTypes.createArrayType(DataTypes.FloatType))
      .add(ParsedRows.LABEL, DataTypes.IntegerType)
      .add(ParsedRows.SPLIT, DataTypes.StringType);

  /** 500 training rows per class of 2, and 50 test rows, one feature each: the row number. */
  private static Dataset<Row> rows() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 1050; i++) {
      rows.add(RowFactory.create("r" + i, new Float[] {(float) i}, i % 2,
          i < 1000 ? "train" : "test"));
    }
    return spark.createDataFrame(rows, ROWS).repartition(3);
  }

  private static Map<String, Long> countBy(Dataset<Row> rows, String expression) {
    return rows.selectExpr(expression + " AS k").groupBy("k").count().collectAsList().stream()
        .collect(Collectors.toMap(r -> String.valueOf(r.get(0)), r -> r.getLong(1)));
  }

  @Test
  void carvesTheSameShareOfEachClassFromTrainingRowsOnlyAndTheSameRowsEveryTime() {
    Dataset<Row> carved = ExampleDatasets.carveValidation(rows(), 0.2, 42);

    assertThat(countBy(carved, "concat(split, '/', label)")).containsOnly(
        Map.entry("train/0", 400L), Map.entry("train/1", 400L),
        Map.entry("validation/0", 100L), Map.entry("validation/1", 100L),
        Map.entry("test/0", 25L), Map.entry("test/1", 25L));
    List<String> chosen = carved.filter("split = 'validation'").select("id").orderBy("id")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertThat(ExampleDatasets.carveValidation(rows().repartition(5), 0.2, 42)
        .filter("split = 'validation'").select("id").orderBy("id")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .as("seeded by the id, not by the partitioning").isEqualTo(chosen);
    assertThat(ExampleDatasets.carveValidation(rows(), 0.2, 43)
        .filter("split = 'validation'").select("id").orderBy("id")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .as("another seed, other rows").isNotEqualTo(chosen);
  }

  @Test
  void keepsTheLabelsOfTheSameShareOfEachClassOfTrainingRowsAndNoOthersLoseTheirs() {
    Dataset<Row> kept = ExampleDatasets.keepLabels(rows(), 0.3, 42);

    assertThat(countBy(kept, "concat(split, '/', coalesce(label, 'none'))")).containsOnly(
        Map.entry("train/0", 150L), Map.entry("train/1", 150L), Map.entry("train/none", 700L),
        Map.entry("test/0", 25L), Map.entry("test/1", 25L));
    assertThat(ExampleDatasets.keepLabels(rows(), 1.0, 42).filter("label IS NULL").count())
        .isZero();
  }

  @Test
  void scalesEverySplitsFeaturesLinearlyOrByEachFeaturesFit() {
    Dataset<Row> two = spark.createDataFrame(List.of(
        RowFactory.create("a", new Float[] {2f, 10f}, 0, "train"),
        RowFactory.create("b", new Float[] {4f, 10f}, 1, "test")), ROWS);

    assertThat(features(ExampleDatasets.scale(two,
        new FeatureScaling(FeatureScaling.Kind.LINEAR, 0.5, 1)))).containsExactly(
        List.of(2f, 6f), List.of(3f, 6f));
    FeatureScaling fitted = FeatureScaling.fit(FeatureScaling.Kind.STANDARD,
        new double[] {3, 10}, new double[] {1, 0}, new double[] {2, 10}, new double[] {4, 10}, 2);
    assertThat(features(ExampleDatasets.scale(two, fitted))).containsExactly(
        List.of(-1f, 0f), List.of(1f, 0f));
    assertThat(ExampleDatasets.scale(two, FeatureScaling.NONE)).isSameAs(two);
  }

  @Test
  void rejectsEveryRowOfARepeatedIdAndIdsAnEarlierBatchHoldsKeepingEarlierReasons() {
    Float[] x = {1f};
    Dataset<Row> parsed = spark.createDataFrame(List.of(
        RowFactory.create("a", "train", x, 0, null, null),
        RowFactory.create("a", "test", x, 1, null, null),
        RowFactory.create("b", "train", null, null, "bad_width: 3 values, expected 1", "1,2,3"),
        RowFactory.create("b", "train", x, 1, null, null),
        RowFactory.create("c", "train", x, 0, null, null),
        RowFactory.create("d", "test", x, 1, null, null)), ParsedRows.SCHEMA);
    Dataset<Row> earlier = spark.createDataFrame(List.of(RowFactory.create("c", "day1"),
        RowFactory.create("e", "day1")), new StructType()
        .add(ExampleDatasets.EARLIER_ID, DataTypes.StringType)
        .add(ExampleDatasets.EARLIER_BATCH, DataTypes.StringType));

    List<String> reasons = ExampleDatasets.rejectRepeatedIds(parsed, earlier)
        .orderBy("id", "split", "reason").collectAsList().stream()
        .map(r -> r.getString(0) + "/" + r.getString(1) + " " + r.getString(4)).toList();

    assertThat(reasons).containsExactly(
        "a/test duplicate_id: id occurs 2 times", "a/train duplicate_id: id occurs 2 times",
        "b/train bad_width: 3 values, expected 1", "b/train duplicate_id: id occurs 2 times",
        "c/train duplicate_id: id already in batch day1", "d/test null");
    assertThat(ExampleDatasets.rejectRepeatedIds(parsed, null).filter("id = 'c'")
        .first().isNullAt(4)).as("no earlier batches").isTrue();
  }

  private static List<List<Float>> features(Dataset<Row> rows) {
    return rows.orderBy("id").collectAsList().stream()
        .map(r -> r.<Float>getList(r.fieldIndex(ParsedRows.FEATURES))).toList();
  }
}
