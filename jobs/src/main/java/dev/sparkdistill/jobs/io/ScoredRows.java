package dev.sparkdistill.jobs.io;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The write side of {@link ExampleBatches}: a scoring job's output rows made as Spark's own rows
 * ({@link InternalRow}) from the arrays the models return, each value put in the form Spark holds
 * it (a float array as one {@link UnsafeArrayData} copy, a string as UTF-8 bytes), rather than
 * as a Java bean per row that the bean encoder reads back getter by getter. Like {@code
 * ExampleBatches}, this is Spark's internal API, kept to this class.
 *
 * <p>A task may fill one {@link InternalRow} again and again: the scan over these rows copies
 * each into an {@code UnsafeRow} before anything else sees it, as Spark's own sources do.
 */
public final class ScoredRows {
  private ScoredRows() {}

  /** The rows as a Dataset of {@code schema}; their values in the forms the methods below give. */
  public static Dataset<Row> dataset(SparkSession spark, JavaRDD<InternalRow> rows,
      StructType schema) {
    return spark.internalCreateDataFrame(rows.rdd(), schema, false);
  }

  /** An {@code array<float>} value; null stays null. */
  public static Object floats(float[] values) {
    return values == null ? null : UnsafeArrayData.fromPrimitiveArray(values);
  }

  /** An {@code array<float>} value of {@code count} values from {@code from}. */
  public static Object floats(float[] values, int from, int count) {
    return UnsafeArrayData.fromPrimitiveArray(values,
        Platform.FLOAT_ARRAY_OFFSET + from * Float.BYTES, count, Float.BYTES);
  }

  /** An {@code array<int>} value; null stays null. */
  public static Object ints(int[] values) {
    return values == null ? null : UnsafeArrayData.fromPrimitiveArray(values);
  }

  /** A string value; null stays null. */
  public static Object string(String value) {
    return value == null ? null : UTF8String.fromString(value);
  }

  /**
   * String values of a column with few distinct values (split names, batch names), each encoded
   * once per task.
   */
  public static final class FewStrings {
    private final Map<String, UTF8String> encoded = new HashMap<>();

    public Object of(String value) {
      return value == null ? null : encoded.computeIfAbsent(value, UTF8String::fromString);
    }
  }
}
