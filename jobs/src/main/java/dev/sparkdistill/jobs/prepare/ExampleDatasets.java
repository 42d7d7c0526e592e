package dev.sparkdistill.jobs.prepare;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.data.RejectReason;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.data.SplitDraw;
import dev.sparkdistill.jobs.io.ArrayColumns;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What {@code prepare} does to the rows, as functions from rows to rows of the same columns: the
 * id check on the parsed rows; then, on the usable rows of (id, features, label, split), the
 * validation carve, the labeled share and the scaling. Each draw is seeded by the row's id, so a
 * rerun, a retried task or another partitioning gives the same rows.
 */
final class ExampleDatasets {
  /** Rank accuracy of the per-class sampling thresholds: within 1/ACCURACY of a class's size. */
  private static final int ACCURACY = 100_000;
  private static final Column TRAIN = col(ParsedRows.SPLIT).equalTo(Split.TRAIN.value());
  private static final Column LABELED_TRAIN = TRAIN.and(col(ParsedRows.LABEL).isNotNull());

  /** The columns of a table's earlier ids, for {@link #rejectRepeatedIds}. */
  static final String EARLIER_ID = "earlier_id";
  static final String EARLIER_BATCH = "earlier_batch";
  /** Most ids of earlier batches seen again that are broadcast to the rows (a few MB). */
  private static final long BROADCAST_REPEATS = 100_000;

  private ExampleDatasets() {}

  /**
   * The parsed rows with every row whose id occurs more than once rejected, for ids from a user
   * column: keeping one of them would be an arbitrary choice, and the same id in two splits
   * would leak training rows into evaluation. So is a row whose id an earlier batch of the table
   * holds. A row rejected already keeps its first reason.
   *
   * @param all parsed rows ({@link ParsedRows#SCHEMA})
   * @param earlier the table's ids ({@value #EARLIER_ID}) and their batches, or null
   */
  static Dataset<Row> rejectRepeatedIds(Dataset<Row> all, Dataset<Row> earlier) {
    Dataset<Row> repeated = all.groupBy(col(ParsedRows.ID).as("repeated_id")).count()
        .filter(col("count").gt(1)).withColumnRenamed("count", "occurrences");
    Dataset<Row> joined = all.join(org.apache.spark.sql.functions.broadcast(repeated),
        col(ParsedRows.ID).equalTo(col("repeated_id")), "left");
    Column reason = when(col(ParsedRows.REASON).isNull().and(col("occurrences").isNotNull()),
        expr("concat('" + RejectReason.DUPLICATE_ID.code()
            + ": id occurs ', occurrences, ' times')"))
        .otherwise(col(ParsedRows.REASON));
    if (earlier != null) {
      // The earlier ids that come again, found by a join of ids alone: usually none, so they
      // are broadcast to the rows, which keep their partitions (and the table its file sizes).
      Dataset<Row> again = earlier.join(all.select(col(ParsedRows.ID).as("new_id")),
          col(EARLIER_ID).equalTo(col("new_id")), "left_semi");
      // Usually none come again: then the rows need no join at all.
      long repeats = again.count();
      if (repeats == 0) {
        return joined.select(col(ParsedRows.ID), col(ParsedRows.SPLIT),
            col(ParsedRows.FEATURES), col(ParsedRows.LABEL), reason.as(ParsedRows.REASON),
            col(ParsedRows.RAW));
      }
      // A whole day sent again would be too many ids to broadcast: a shuffle join then.
      joined = joined.join(repeats <= BROADCAST_REPEATS
              ? org.apache.spark.sql.functions.broadcast(again) : again,
          col(ParsedRows.ID).equalTo(col(EARLIER_ID)), "left");
      reason = when(reason.isNull().and(col(EARLIER_BATCH).isNotNull()),
          expr("concat('" + RejectReason.DUPLICATE_ID.code() + ": id already in batch ', "
              + EARLIER_BATCH + ")")).otherwise(reason);
    }
    return joined.select(col(ParsedRows.ID), col(ParsedRows.SPLIT), col(ParsedRows.FEATURES),
        col(ParsedRows.LABEL), reason.as(ParsedRows.REASON), col(ParsedRows.RAW));
  }

  /** Moves {@code fraction} of each class's training rows to the validation split. */
  static Dataset<Row> carveValidation(Dataset<Row> examples, double fraction, long seed) {
    UserDefinedFunction chosen = drawBelowThreshold(examples.filter(TRAIN),
        SplitDraw.VALIDATION, fraction, seed);
    return toValidation(examples, chosen.apply(col(ParsedRows.ID), col(ParsedRows.LABEL)));
  }

  /** Keeps the labels of {@code fraction} of each class's training rows; the rest lose them. */
  static Dataset<Row> keepLabels(Dataset<Row> examples, double fraction, long seed) {
    if (fraction >= 1.0) {
      return examples;
    }
    UserDefinedFunction kept = drawBelowThreshold(examples.filter(LABELED_TRAIN),
        SplitDraw.LABELED, fraction, seed);
    return keepLabelsWhere(examples, kept.apply(col(ParsedRows.ID), col(ParsedRows.LABEL)));
  }

  /**
   * Moves the training rows whose seeded draw is below {@code fraction} to the validation split:
   * a rule of the row's id alone, so a batch's rows land where they would had they arrived with
   * any other rows (the per-class quantiles of {@link #carveValidation} depend on the rows at
   * hand).
   */
  static Dataset<Row> carveValidationByDraw(Dataset<Row> examples, double fraction, long seed) {
    return toValidation(examples, drawBelow(SplitDraw.VALIDATION, fraction, seed));
  }

  /** Keeps the labels of the training rows whose seeded draw is below {@code fraction}. */
  static Dataset<Row> keepLabelsByDraw(Dataset<Row> examples, double fraction, long seed) {
    return fraction >= 1.0 ? examples
        : keepLabelsWhere(examples, drawBelow(SplitDraw.LABELED, fraction, seed));
  }

  /** The training rows {@code chosen} selects moved to the validation split. */
  private static Dataset<Row> toValidation(Dataset<Row> examples, Column chosen) {
    return examples.withColumn(ParsedRows.SPLIT, when(TRAIN.and(chosen),
        lit(Split.VALIDATION.value())).otherwise(col(ParsedRows.SPLIT)));
  }

  /** Labeled training rows keep their label where {@code kept} holds; the others lose it. */
  private static Dataset<Row> keepLabelsWhere(Dataset<Row> examples, Column kept) {
    return examples.withColumn(ParsedRows.LABEL, when(LABELED_TRAIN.and(kept.unary_$bang()),
        lit(null).cast(DataTypes.IntegerType)).otherwise(col(ParsedRows.LABEL)));
  }

  private static Column drawBelow(String salt, double fraction, long seed) {
    return udf((UDF1<String, Boolean>) id -> SplitDraw.unit(seed, salt, id) < fraction,
        DataTypes.BooleanType).apply(col(ParsedRows.ID));
  }

  /**
   * A (id, label) -> boolean function that is true for about {@code fraction} of each label's
   * rows in {@code rows}: those whose seeded draw lies below the label's draw quantile.
   */
  private static UserDefinedFunction drawBelowThreshold(Dataset<Row> rows, String salt,
      double fraction, long seed) {
    UserDefinedFunction draw = udf((UDF1<String, Double>)
        id -> SplitDraw.unit(seed, salt, id), DataTypes.DoubleType);
    Map<Integer, Double> thresholds = new HashMap<>();
    rows.withColumn("u", draw.apply(col(ParsedRows.ID))).groupBy(ParsedRows.LABEL)
        .agg(expr("percentile_approx(u, " + fraction + ", " + ACCURACY + ")"))
        .collectAsList()
        .forEach(r -> thresholds.put(r.isNullAt(0) ? null : r.getInt(0), r.getDouble(1)));
    return udf((UDF2<String, Integer, Boolean>) (id, label) -> {
      Double threshold = thresholds.get(label);
      return threshold != null && SplitDraw.unit(seed, salt, id) <= threshold;
    }, DataTypes.BooleanType);
  }

  /** The features as stored: {@code scaling} applied to every split's rows. */
  static Dataset<Row> scale(Dataset<Row> examples, FeatureScaling scaling) {
    if (scaling.isIdentity()) {
      return examples;
    }
    // Row by row in Java: Spark 3.5 interprets transform()'s lambda element by element, which
    // made scaling most of the examples' write (784 floats a row).
    StructType schema = examples.schema();
    int at = schema.fieldIndex(ParsedRows.FEATURES);
    StructField[] fields = schema.fields().clone();
    // Elements never null, so the table is written as two-level Parquet lists.
    fields[at] = new StructField(ParsedRows.FEATURES,
        DataTypes.createArrayType(DataTypes.FloatType, false), fields[at].nullable(),
        fields[at].metadata());
    return examples.map((MapFunction<Row, Row>) row -> {
      Object[] values = new Object[row.length()];
      for (int i = 0; i < values.length; i++) {
        values[i] = row.get(i);
      }
      if (!row.isNullAt(at)) {
        float[] features = ArrayColumns.floats(row.getList(at));
        scaling.applyInPlace(features);
        values[at] = features;
      }
      return RowFactory.create(values);
    }, Encoders.row(new StructType(fields)));
  }
}
