package dev.sparkdistill.jobs.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.jobs.SparkTestBase;
import java.nio.file.Files;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * What {@link ScoredRows} relies on, on the Spark this project builds with: rows made in Spark's
 * internal form read back as the values put in, even when a task fills one row object again for
 * every row, whether the rows are written to Parquet or persisted first.
 */
class ScoredRowsTest extends SparkTestBase {
  /** The Spark line this was checked against; see the class comment before upgrading. */
  private static final String CHECKED_SPARK = "3.5.";
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType)
      .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false))
      .add("index", DataTypes.createArrayType(DataTypes.IntegerType, false))
      .add("label", DataTypes.IntegerType)
      .add("split", DataTypes.StringType);
  private static final float[] FEATURES = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};

  /** Three rows per partition, each filled into the one row object the partition reuses. */
  private static Iterator<InternalRow> rows(int partition) {
    Object[] values = new Object[SCHEMA.length()];
    InternalRow row = new GenericInternalRow(values);
    ScoredRows.FewStrings splits = new ScoredRows.FewStrings();
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < 3;
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int i = next++;
        values[0] = ScoredRows.string("p" + partition + "-" + i + (i == 1 ? "-é✓" : ""));
        values[1] = ScoredRows.floats(FEATURES, 2 * i, 2);
        values[2] = i == 2 ? null : ScoredRows.ints(new int[] {partition, i});
        values[3] = i == 0 ? null : i;
        values[4] = splits.of(i == 2 ? "test" : "train");
        return row;
      }
    };
  }

  private static Dataset<Row> dataset() {
    JavaRDD<Integer> partitions = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(List.of(0, 1), 2);
    JavaRDD<InternalRow> rows = partitions.mapPartitions(p -> rows(p.next()));
    return ScoredRows.dataset(spark, rows, SCHEMA);
  }

  private static List<String> shown(Dataset<Row> rows) {
    return rows.orderBy("id").collectAsList().stream().map(Row::toString).toList();
  }

  private static final List<String> EXPECTED = List.of(
      "[p0-0,WrappedArray(0.5, 1.5),WrappedArray(0, 0),null,train]",
      "[p0-1-é✓,WrappedArray(2.5, 3.5),WrappedArray(0, 1),1,train]",
      "[p0-2,WrappedArray(4.5, 5.5),null,2,test]",
      "[p1-0,WrappedArray(0.5, 1.5),WrappedArray(1, 0),null,train]",
      "[p1-1-é✓,WrappedArray(2.5, 3.5),WrappedArray(1, 1),1,train]",
      "[p1-2,WrappedArray(4.5, 5.5),null,2,test]");

  @Test
  void isCheckedAgainstTheSparkOnTheClasspath() {
    assertThat(spark.version()).as("ScoredRows makes Spark's internal rows: run this test class "
        + "against the new Spark and update CHECKED_SPARK").startsWith(CHECKED_SPARK);
  }

  @Test
  void aReusedRowIsCopiedForEveryRowWrittenToParquet() throws Exception {
    String table = Files.createTempDirectory("scored-rows").resolve("t").toString();
    dataset().write().partitionBy("split").parquet(table);

    assertThat(shown(spark.read().parquet(table).select("id", "logits", "index", "label",
        "split"))).containsExactlyElementsOf(EXPECTED);
  }

  @Test
  void aReusedRowIsCopiedForEveryRowPersisted() {
    Dataset<Row> persisted = dataset().persist(StorageLevel.MEMORY_AND_DISK());
    try {
      assertThat(persisted.count()).isEqualTo(6);
      assertThat(shown(persisted)).containsExactlyElementsOf(EXPECTED);
    } finally {
      persisted.unpersist(true);
    }
  }
}
