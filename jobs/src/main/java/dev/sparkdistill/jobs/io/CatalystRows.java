package dev.sparkdistill.jobs.io;

import java.io.Serializable;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import scala.Function1;

/**
 * Spark's own rows of a Dataset, read by column. The scoring jobs read Catalyst's
 * {@link InternalRow} rather than {@link Row} because the row decoder boxes every value of a
 * feature array on the way ({@code predict} ran at 0.89x the rows/s of {@code infer} through it,
 * 1.08x without). {@code InternalRow} is Spark's internal API, so this is the one class that
 * reads it, and {@code CatalystRowsTest} pins what it relies on to the Spark version the project
 * builds with.
 */
public final class CatalystRows implements Serializable {
  private final String[] names;
  private final DataType[] types;

  private CatalystRows(StructType schema) {
    this.names = schema.fieldNames();
    this.types = Arrays.stream(schema.fields()).map(f -> f.dataType()).toArray(DataType[]::new);
  }

  /** Reads rows of {@code schema}, a Dataset's whose rows {@link #rdd} gives. */
  public static CatalystRows of(StructType schema) {
    return new CatalystRows(schema);
  }

  /**
   * The Dataset's rows as Spark holds them, its plan run as is. Spark reuses a row object for
   * the next row, so a reader copies what it keeps (every method here returns a copy).
   */
  public static JavaRDD<InternalRow> rdd(Dataset<Row> rows) {
    return rows.queryExecution().toRdd().toJavaRDD();
  }

  /** Where {@code column} is in the rows. */
  public int position(String column) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(column)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no column " + column + " among " + Arrays.toString(
        names));
  }

  /** A string column's value, or null. */
  public String string(InternalRow row, int position) {
    return row.isNullAt(position) ? null : row.getUTF8String(position).toString();
  }

  /** An {@code array<float>} column's values, copied, or null. */
  public float[] floats(InternalRow row, int position) {
    return row.isNullAt(position) ? null : row.getArray(position).toFloatArray();
  }

  /** An int column's value, or null. */
  public Integer integer(InternalRow row, int position) {
    return row.isNullAt(position) ? null : row.getInt(position);
  }

  /**
   * Converts a column's values to what a {@link Row} holds (String, Integer, Seq, Row ...), for
   * columns passed through untouched; make one per column and task, not per row.
   */
  public Function<InternalRow, Object> external(int position) {
    DataType type = types[position];
    Function1<Object, Object> convert = CatalystTypeConverters.createToScalaConverter(type);
    return row -> convert.apply(row.get(position, type));
  }
}
