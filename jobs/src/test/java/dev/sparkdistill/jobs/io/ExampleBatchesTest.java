package dev.sparkdistill.jobs.io;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.jobs.SparkTestBase;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@link ExampleBatches} relies on in Spark's internal rows and columnar batches, on the
 * Spark this project builds with: a plain Parquet scan is read from its columnar batches, any
 * other plan through its rows, and both give the values the public {@link Row} API gives, nulls
 * and nested types included.
 */
class ExampleBatchesTest extends SparkTestBase {
  /** The Spark line these reads were checked against; see the class comment before upgrading. */
  private static final String CHECKED_SPARK = "3.5.";
  private static String table;

  @BeforeAll
  static void writeTable() throws Exception {
    StructType schema = new StructType()
        .add("id", DataTypes.StringType, false)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType, false))
        .add("label", DataTypes.IntegerType)
        .add("note", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType))
        .add("split", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      rows.add(RowFactory.create(i == 3 ? "é✓" : "r" + i, new Float[] {i + 0.5f, (float) -i, 3e-7f * i},
          i % 3 == 0 ? null : i, i == 1 ? Map.of("k", 1.5) : null, i < 5 ? "train" : "test"));
    }
    table = Files.createTempDirectory("example-batches").resolve("t").toString();
    spark.createDataFrame(rows, schema).coalesce(1).write().partitionBy("split")
        .parquet(table);
  }

  @Test
  void isCheckedAgainstTheSparkOnTheClasspath() {
    assertThat(spark.version()).as("ExampleBatches reads Spark's internal rows and columnar "
        + "batches: run this test class against the new Spark and update CHECKED_SPARK")
        .startsWith(CHECKED_SPARK);
  }

  @Test
  void aPlainScanIsReadFromItsColumnarBatchesWithTheValuesOfTheRowApi() {
    Dataset<Row> scan = spark.read().parquet(table).select("id", "features", "label", "note",
        "split").filter(col("split").equalTo("train"));
    ExampleBatches batches = ExampleBatches.of(scan, "features", 3, "id");

    assertThat(batches.columnar()).as("a partition filter leaves a plain scan").isTrue();
    assertThat(read(batches, 256)).containsExactlyElementsOf(viaRowApi(scan)).containsExactly(
        "r0|[0.5, 0.0, 0.0]|null|null|train", "r1|[1.5, -1.0, 3.0E-7]|1|Map(k -> 1.5)|train",
        "r2|[2.5, -2.0, 6.0E-7]|2|null|train", "é✓|[3.5, -3.0, 9.0000003E-7]|null|null|train",
        "r4|[4.5, -4.0, 1.2E-6]|4|null|train");
  }

  @Test
  void anyOtherPlanIsReadThroughItsRowsWithTheSameValues() {
    Dataset<Row> renamed = spark.read().parquet(table).select(col("id"), col("features"),
        col("label").plus(1).as("label"), col("note"), col("split")).filter("id <> 'r6'");
    ExampleBatches batches = ExampleBatches.of(renamed, "features", 3, "id");

    assertThat(batches.columnar()).isFalse();
    assertThat(read(batches, 2)).containsExactlyElementsOf(viaRowApi(renamed)).hasSize(6)
        .contains("r1|[1.5, -1.0, 3.0E-7]|2|Map(k -> 1.5)|train", "r5|[5.5, -5.0, 1.5E-6]|6|"
            + "null|test");
  }

  @Test
  void batchesHoldAtMostTheRowsAskedForOnEitherPath() {
    String key = "spark.sql.parquet.columnarReaderBatchSize";
    String before = spark.conf().contains(key) ? spark.conf().get(key) : null;
    spark.conf().set(key, "4");
    try {
      Dataset<Row> train = spark.read().parquet(table).filter("split = 'train'");
      ExampleBatches columnar = ExampleBatches.of(train, "features", 3, "id");
      ExampleBatches rows = ExampleBatches.of(train.filter("label IS NULL OR label >= 0"),
          "features", 3, "id");

      // The reader's batches of 4 and 1 rows are cut to 3 at most; rows are packed by 3.
      assertThat(sizes(columnar, 3)).containsExactly(3, 1, 1);
      assertThat(rows.columnar()).isFalse();
      assertThat(sizes(rows, 3)).containsExactly(3, 2);
    } finally {
      if (before != null) {
        spark.conf().set(key, before);
      } else {
        spark.conf().unset(key);
      }
    }
  }

  @Test
  void aRowOfAnotherWidthIsRefusedByItsId() {
    Dataset<Row> scan = spark.read().parquet(table).filter("split = 'train'");
    ExampleBatches four = ExampleBatches.of(scan, "features", 4, "id");

    assertThatThrownBy(() -> read(four, 8)).hasStackTraceContaining(
        "row r0: features has 3 values where the table's manifest says 4");
    assertThatThrownBy(() -> ExampleBatches.of(scan, "label", 3, "id"))
        .hasMessage("label must be array<float>, not int");
    assertThatThrownBy(() -> ExampleBatches.of(scan, "pixels", 3, "id"))
        .hasMessage("no column pixels among [id, features, label, note, split]");
  }

  private static List<String> read(ExampleBatches batches, int batchRows) {
    int id = batches.position("id");
    int label = batches.position("label");
    int note = batches.position("note");
    int split = batches.position("split");
    return batches.batches(batchRows).mapPartitions(partition -> {
      List<String> out = new ArrayList<>();
      partition.forEachRemaining(batch -> {
        for (int r = 0; r < batch.rows(); r++) {
          out.add(batch.string(id, r) + "|" + Arrays.toString(batch.featuresOf(r)) + "|"
              + batch.integer(label, r) + "|" + batch.value(note, r) + "|"
              + batch.string(split, r));
        }
      });
      return out.iterator();
    }).collect();
  }

  private static List<Integer> sizes(ExampleBatches batches, int batchRows) {
    return batches.batches(batchRows).map(ExampleBatches.Batch::rows).collect();
  }

  private static List<String> viaRowApi(Dataset<Row> rows) {
    return rows.collectAsList().stream().map(row -> row.getAs("id") + "|"
        + Arrays.toString(toFloats(row.getList(row.fieldIndex("features")))) + "|"
        + row.getAs("label") + "|" + row.getAs("note") + "|" + row.getAs("split")).toList();
  }

  private static float[] toFloats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
