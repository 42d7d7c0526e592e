package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.Function1;

/**
 * A scoring job's input in batches: the features of a batch's rows one after another in one
 * float array, as the models take them, and every other column as the plain values a {@link Row}
 * holds (String, Integer, Seq, Row ...).
 *
 * <p>Where the Dataset is a bare Parquet scan, Spark's vectorized reader already holds the rows
 * as columnar batches, and they are read here straight from its column vectors: each feature
 * value is decoded once, into the batch's array. Any other plan is read through Spark's own rows
 * ({@link InternalRow}), which still spares the row decoder's boxing of every feature value.
 * Through rows, a 784-feature table spent a fifth of its task time turning the reader's batches
 * into rows and copying each row's features twice more on the way to the model. Both are
 * Spark's internal API, so this is the one class that reads them, and {@code
 * ExampleBatchesTest} pins what it relies on to the Spark version the project builds with.
 */
public final class ExampleBatches implements Serializable {
  private final String[] names;
  private final DataType[] types;
  private final int featuresAt;
  private final int width;
  private final String idColumn;
  /** The plan's columnar source; null when its rows are read. Used on the driver only. */
  private final transient SparkPlan columnarSource;
  private final transient Dataset<Row> rows;

  private ExampleBatches(Dataset<Row> rows, String featuresColumn, int width, String idColumn) {
    StructType schema = rows.schema();
    this.names = schema.fieldNames();
    this.types = Arrays.stream(schema.fields()).map(f -> f.dataType()).toArray(DataType[]::new);
    this.featuresAt = position(featuresColumn);
    if (!(types[featuresAt] instanceof ArrayType array
        && array.elementType().equals(DataTypes.FloatType))) {
      throw new IllegalArgumentException(featuresColumn + " must be array<float>, not "
          + types[featuresAt].simpleString());
    }
    this.width = width;
    this.idColumn = idColumn;
    this.rows = rows;
    this.columnarSource = columnarSource(rows).orElse(null);
  }

  /**
   * @param rows the Dataset to read: a Parquet scan of the columns wanted (no renames, casts or
   *     filters on data columns) reads columnar
   * @param featuresColumn an {@code array<float>} column whose rows all hold {@code width} values
   * @param idColumn named in the error for a row of another width
   */
  public static ExampleBatches of(Dataset<Row> rows, String featuresColumn, int width,
      String idColumn) {
    return new ExampleBatches(rows, featuresColumn, width, idColumn);
  }

  /** Whether the batches come straight from Spark's columnar batches. */
  public boolean columnar() {
    return columnarSource != null;
  }

  /** Where {@code column} is among the Dataset's columns, as {@link Batch#value} takes it. */
  public int position(String column) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(column)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no column " + column + " among " + Arrays.toString(
        names));
  }

  /**
   * The rows in batches of at most {@code batchRows}, each copied out of Spark's reused buffers
   * (a batch holds nothing of Spark's). Runs the Dataset's plan as it is, without a SQL
   * execution of its own; the caller's action runs it.
   */
  public JavaRDD<Batch> batches(int batchRows) {
    if (batchRows < 1) {
      throw new IllegalArgumentException("need batchRows >= 1, got " + batchRows);
    }
    if (columnarSource != null) {
      JavaRDD<ColumnarBatch> source = columnarSource.executeColumnar().toJavaRDD();
      return source.mapPartitions(columnar -> new ColumnarReader(columnar, batchRows));
    }
    JavaRDD<InternalRow> source = rows.queryExecution().toRdd().toJavaRDD();
    return source.mapPartitions(internal -> new RowReader(internal, batchRows));
  }

  /**
   * The columnar source under a plan that only turns it into rows: whole-stage code generation
   * around {@link ColumnarToRowExec} around the scan. Anything above that (a projection that
   * renames or computes, a filter, an exchange) and the rows are read instead.
   */
  private static Optional<SparkPlan> columnarSource(Dataset<Row> rows) {
    SparkPlan plan = rows.queryExecution().executedPlan();
    if (plan instanceof WholeStageCodegenExec stage) {
      plan = stage.child();
    }
    if (!(plan instanceof ColumnarToRowExec toRows)) {
      return Optional.empty();
    }
    SparkPlan source = toRows.child();
    if (source instanceof InputAdapter adapter) {
      source = adapter.child();
    }
    return source.supportsColumnar() ? Optional.of(source) : Optional.empty();
  }

  /** One batch of rows, copied out of Spark. */
  public static final class Batch {
    private final int rows;
    private final int width;
    private final float[] features;
    /** [column][row]; null for the features column. */
    private final Object[][] values;

    private Batch(int rows, int width, float[] features, Object[][] values) {
      this.rows = rows;
      this.width = width;
      this.features = features;
      this.values = values;
    }

    public int rows() {
      return rows;
    }

    /** Values per row. */
    public int width() {
      return width;
    }

    /** Every row's features one after another: {@code rows() * width()} values. */
    public float[] features() {
      return features;
    }

    /** A copy of one row's features. */
    public float[] featuresOf(int row) {
      return Arrays.copyOfRange(features, row * width, (row + 1) * width);
    }

    /** A column's value as a {@link Row} holds it, or null. */
    public Object value(int column, int row) {
      return values[column][row];
    }

    public String string(int column, int row) {
      return (String) values[column][row];
    }

    public Integer integer(int column, int row) {
      return (Integer) values[column][row];
    }
  }

  /** Fills batches; one per task, made on the executor. */
  private abstract class Filler {
    private final List<Function1<Object, Object>> converters = new ArrayList<>();
    private final int batchRows;
    private float[] features;
    private Object[][] values;
    private int filled;

    Filler(int batchRows) {
      this.batchRows = batchRows;
      for (DataType type : types) {
        converters.add(CatalystTypeConverters.createToScalaConverter(type));
      }
    }

    private void start() {
      features = new float[batchRows * width];
      values = new Object[names.length][batchRows];
      filled = 0;
    }

    boolean full() {
      return filled == batchRows;
    }

    /**
     * Copies one row: its features into the batch's array (from the reader's column vector when
     * the row is a view of a columnar batch), the other columns by converter.
     */
    void add(InternalRow row) {
      if (filled == 0) {
        start();
      }
      for (int c = 0; c < names.length; c++) {
        if (c != featuresAt) {
          values[c][filled] = row.isNullAt(c) ? null
              : converters.get(c).apply(row.get(c, types[c]));
        }
      }
      ArrayData array = row.isNullAt(featuresAt) ? null : row.getArray(featuresAt);
      requireWidth(array == null ? -1 : array.numElements(), row);
      int start = filled * width;
      for (int j = 0; j < width; j++) {
        features[start + j] = array.getFloat(j);
      }
      filled++;
    }

    private void requireWidth(int count, InternalRow row) {
      if (count != width) {
        int id = idColumn == null ? -1 : Arrays.asList(names).indexOf(idColumn);
        throw new DistillException("row " + (id < 0 || row.isNullAt(id) ? "?"
            : row.getUTF8String(id)) + ": " + names[featuresAt] + " has "
            + (count < 0 ? "no values (null)" : count + " values") + " where the table's "
            + "manifest says " + width);
      }
    }

    /** The rows added since the last batch; the next row starts new arrays. */
    Batch finish() {
      Batch batch = new Batch(filled, width, filled == batchRows ? features
          : Arrays.copyOf(features, filled * width), trimmed(values, filled));
      filled = 0;
      return batch;
    }

    private Object[][] trimmed(Object[][] columns, int count) {
      if (count == batchRows) {
        return columns;
      }
      Object[][] out = new Object[columns.length][];
      for (int c = 0; c < columns.length; c++) {
        out[c] = Arrays.copyOf(columns[c], count);
      }
      return out;
    }
  }

  /** Batches from Spark's rows, {@code batchRows} at a time. */
  private final class RowReader extends Filler implements Iterator<Batch> {
    private final Iterator<InternalRow> rows;

    RowReader(Iterator<InternalRow> rows, int batchRows) {
      super(batchRows);
      this.rows = rows;
    }

    @Override
    public boolean hasNext() {
      return rows.hasNext();
    }

    @Override
    public Batch next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      while (rows.hasNext() && !full()) {
        add(rows.next());
      }
      return finish();
    }
  }

  /**
   * Batches from Spark's columnar batches: each cut into pieces of at most {@code batchRows}
   * (the jobs size the reader's batches to theirs, so there is usually one piece).
   */
  private final class ColumnarReader extends Filler implements Iterator<Batch> {
    private final Iterator<ColumnarBatch> source;
    private ColumnarBatch current;
    private int next;

    ColumnarReader(Iterator<ColumnarBatch> source, int batchRows) {
      super(batchRows);
      this.source = source;
    }

    @Override
    public boolean hasNext() {
      while ((current == null || next == current.numRows()) && source.hasNext()) {
        current = source.next();
        next = 0;
      }
      return current != null && next < current.numRows();
    }

    @Override
    public Batch next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      while (next < current.numRows() && !full()) {
        add(current.getRow(next++));
      }
      return finish();
    }
  }
}
