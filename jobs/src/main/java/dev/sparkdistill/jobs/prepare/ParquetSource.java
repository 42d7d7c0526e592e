package dev.sparkdistill.jobs.prepare;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ParquetOptions;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.data.ParsedRow;
import dev.sparkdistill.common.data.RejectReason;
import dev.sparkdistill.common.data.RowChecks;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalInt;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads Parquet with the features in an array-of-numbers or Spark ML vector column. Column types
 * are checked on the driver from the schema alone. Without an id column, a row's id is
 * {@code <split>/<file name>:<row index in file>}, stable however the files are partitioned.
 */
final class ParquetSource implements ExampleSource {
  private final PrepareConfig config;

  ParquetSource(PrepareConfig config) {
    this.config = config;
  }

  @Override
  public SourceRows read(SparkSession spark, Split split, OptionalInt classCount) {
    String key = "prepare.input." + split.value();
    String location = config.input(split).orElseThrow();
    HadoopFiles.dataFiles(location, key, spark.sparkContext().hadoopConfiguration());
    Dataset<Row> input = readMerged(spark, location, key);
    ParquetOptions options = config.parquet();
    StructType schema = input.schema();
    Column features = featuresAsFloats(field(schema, options.featuresColumn(),
        "prepare.parquet.features-column", location));
    Column label = options.labelColumn().map(name -> {
      checkType(field(schema, name, "prepare.parquet.label-column", location),
          t -> t instanceof NumericType, "a numeric type", "prepare.parquet.label-column", location);
      return col(name).cast(DataTypes.DoubleType);
    }).orElse(lit(null).cast(DataTypes.DoubleType));
    Column id = options.idColumn().map(name -> {
      checkType(field(schema, name, "prepare.parquet.id-column", location),
          t -> t instanceof StringType || t instanceof NumericType, "a string or integer type",
          "prepare.parquet.id-column", location);
      return col(name).cast(DataTypes.StringType);
    }).orElse(concat(lit(split.value() + "/"), col("_metadata.file_name"), lit(":"),
        col("_metadata.row_index").cast(DataTypes.StringType)));

    Dataset<Row> selected = input.select(id.as("id"), features.as("features"),
        label.as("label"));
    List<Integer> shape = featureShape(selected);
    int featureCount = shape.stream().reduce(1, Math::multiplyExact);
    int maxLabel = classCount.orElse(Integer.MAX_VALUE);
    Dataset<Row> rows = ParsedRows.dataset(spark, selected.javaRDD().mapPartitions(
        it -> check(it, split, featureCount, maxLabel)));
    return new SourceRows(rows, shape, options.idColumn().isPresent());
  }

  /**
   * The input with the schema of all its files merged: Spark otherwise takes one file's schema,
   * and a file whose column has another type then fails a task in the middle of the job. Here
   * files that cannot agree are refused at once, in one line.
   */
  private static Dataset<Row> readMerged(SparkSession spark, String location, String key) {
    try {
      return spark.read().option("mergeSchema", "true").parquet(location);
    } catch (Exception e) { // Spark's SparkException is checked, and undeclared here
      // Spark's first line is only "Failed merging schemas:"; the innermost cause names the
      // two types that disagree.
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw new DistillException(key + " = " + location + ": its Parquet files do not share "
          + "one schema: " + String.valueOf(cause.getMessage()).lines().findFirst().orElse(""),
          e);
    }
  }

  private static StructField field(StructType schema, String name, String key, String location) {
    return Arrays.stream(schema.fields()).filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> new DistillException(key + " = '" + name + "' is not a column of "
            + location + "; its columns are " + Arrays.toString(schema.fieldNames())));
  }

  private static void checkType(StructField field, java.util.function.Predicate<DataType> ok,
      String expected, String key, String location) {
    if (!ok.test(field.dataType())) {
      throw new DistillException(key + " = '" + field.name() + "' in " + location + " has type "
          + field.dataType().simpleString() + "; expected " + expected);
    }
  }

  private static Column featuresAsFloats(StructField field) {
    DataType type = field.dataType();
    if (type.equals(SQLDataTypes.VectorType())) {
      // vector_to_array fails the task on a null vector; a null stays null and is rejected.
      return org.apache.spark.sql.functions.when(col(field.name()).isNotNull(),
          org.apache.spark.ml.functions.vector_to_array(col(field.name()), "float32"));
    }
    if (type instanceof ArrayType array && array.elementType() instanceof NumericType) {
      return col(field.name()).cast(DataTypes.createArrayType(DataTypes.FloatType));
    }
    throw new DistillException("prepare.parquet.features-column = '" + field.name()
        + "' has type " + type.simpleString()
        + "; expected an array of numbers or a Spark ML vector");
  }

  /** The configured shape, else a flat vector as long as the first row with features. */
  private List<Integer> featureShape(Dataset<Row> selected) {
    if (!config.featureShape().isEmpty()) {
      return config.featureShape();
    }
    List<Row> first = selected.filter(col("features").isNotNull())
        .selectExpr("size(features)").takeAsList(1);
    if (first.isEmpty()) {
      throw new DistillException("no row of " + config.input(Split.TRAIN).orElseThrow()
          + " has features; cannot tell the feature count (set prepare.feature-shape)");
    }
    return List.of(first.get(0).getInt(0));
  }

  private static Iterator<Row> check(Iterator<Row> rows, Split split, int featureCount,
      int classCount) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        return ParsedRows.toRow(checkRow(rows.next(), featureCount, classCount), split);
      }
    };
  }

  static ParsedRow checkRow(Row row, int featureCount, int classCount) {
    String id = row.getString(0);
    List<Float> values = row.isNullAt(1) ? null : row.getList(1);
    if (id == null || id.isEmpty()) {
      return ParsedRow.rejected(String.valueOf(id),
          RejectReason.MISSING_ID.because("the id column is empty"), String.valueOf(values));
    }
    if (values == null) {
      return ParsedRow.rejected(id, RowChecks.wrongCount(featureCount, 0) + " (null)", null);
    }
    float[] features = new float[values.size()];
    for (int i = 0; i < features.length; i++) {
      Float value = values.get(i);
      if (value == null) {
        return ParsedRow.rejected(id,
            RejectReason.NON_NUMERIC_FEATURE.because("feature " + i + " is null"),
            values.toString());
      }
      features[i] = value;
    }
    String featureProblem = RowChecks.checkFeatures(features, featureCount);
    if (featureProblem != null) {
      return ParsedRow.rejected(id, featureProblem, values.toString());
    }
    Integer label = null;
    if (!row.isNullAt(2)) {
      Object parsed = RowChecks.integralLabel(row.getDouble(2), row.getDouble(2));
      if (parsed instanceof String reason) {
        return ParsedRow.rejected(id, reason, "label " + row.getDouble(2));
      }
      label = (Integer) parsed;
      String range = RowChecks.checkLabelBelow(label, classCount);
      if (range != null) {
        return ParsedRow.rejected(id, range, "label " + label);
      }
    }
    return ParsedRow.accepted(id, features, label);
  }
}
