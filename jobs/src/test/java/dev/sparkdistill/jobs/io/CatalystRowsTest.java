package dev.sparkdistill.jobs.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.jobs.SparkTestBase;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * What {@link CatalystRows} relies on in Spark's internal rows, on the Spark this project builds
 * with: rows of a Parquet scan through a plan with a projection, read by column name, nulls
 * included, the same values the public {@link Row} API gives.
 */
class CatalystRowsTest extends SparkTestBase {
  /** The Spark line these reads were checked against; see the class comment before upgrading. */
  private static final String CHECKED_SPARK = "3.5.";

  @Test
  void isCheckedAgainstTheSparkOnTheClasspath() {
    assertThat(spark.version()).as("CatalystRows reads Spark's internal rows: run this test "
        + "class against the new Spark and update CHECKED_SPARK").startsWith(CHECKED_SPARK);
  }

  @Test
  void readsEveryColumnKindAsTheRowApiDoes() throws Exception {
    StructType schema = new StructType()
        .add("id", DataTypes.StringType, false)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType, false))
        .add("label", DataTypes.IntegerType)
        .add("note", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType));
    List<Row> rows = List.of(
        RowFactory.create("a", new Float[] {0.5f, -1f, 3e-7f}, 2, java.util.Map.of("k", 1.5)),
        RowFactory.create("é✓", null, null, null),
        RowFactory.create("c", new Float[] {}, 0, null));
    java.nio.file.Path table = java.nio.file.Files.createTempDirectory("catalyst-rows");
    spark.createDataFrame(rows, schema).write().mode("overwrite").parquet(table.toString());
    // Through a plan as the jobs build them: a scan, a projection, a filter.
    Dataset<Row> read = spark.read().parquet(table.toString())
        .select("note", "label", "features", "id").filter("id <> 'x'").orderBy("id");

    CatalystRows columns = CatalystRows.of(read.schema());
    int id = columns.position("id");
    int features = columns.position("features");
    int label = columns.position("label");
    int notes = columns.position("note");
    List<String> viaCatalyst = CatalystRows.rdd(read).mapPartitions(partition -> {
      Function<InternalRow, Object> note = columns.external(notes); // per task, as the jobs do
      List<String> out = new java.util.ArrayList<>();
      partition.forEachRemaining(row -> out.add(columns.string(row, id) + "|"
          + Arrays.toString(columns.floats(row, features)) + "|" + columns.integer(row, label)
          + "|" + note.apply(row)));
      return out.iterator();
    }).collect();
    List<String> viaRows = read.collectAsList().stream().map(row -> row.getString(3) + "|"
        + (row.isNullAt(2) ? "null" : Arrays.toString(toFloats(row.getList(2)))) + "|"
        + (row.isNullAt(1) ? null : row.getInt(1)) + "|" + row.get(0)).toList();

    assertThat(viaCatalyst).containsExactlyElementsOf(viaRows).containsExactly(
        "a|[0.5, -1.0, 3.0E-7]|2|Map(k -> 1.5)", "c|[]|0|null", "é✓|null|null|null");
    assertThatThrownBy(() -> columns.position("split"))
        .hasMessage("no column split among [note, label, features, id]");
  }

  private static float[] toFloats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
