package dev.sparkdistill.jobs.prepare;

import dev.sparkdistill.common.data.ParsedRow;
import dev.sparkdistill.common.data.Split;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The shape every source is read into before checks and splitting: one row per source row,
 * usable ({@code reason} null) or rejected with its reason and raw text.
 */
final class ParsedRows {
  static final String ID = "id";
  static final String SPLIT = "split";
  static final String FEATURES = "features";
  static final String LABEL = "label";
  static final String REASON = "reason";
  static final String RAW = "raw";

  static final StructType SCHEMA = new StructType()
      .add(ID, DataTypes.StringType, false)
      .add(SPLIT, DataTypes.StringType, false)
      .add(FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), true)
      .add(LABEL, DataTypes.IntegerType, true)
      .add(REASON, DataTypes.StringType, true)
      .add(RAW, DataTypes.StringType, true);

  private ParsedRows() {}

  /**
   * The parsed rows as a Dataset, through the row encoder's generated serializer: each row's
   * float[] of features is copied into Spark's array at once, where createDataFrame would box
   * and convert it value by value.
   */
  static Dataset<Row> dataset(SparkSession spark, JavaRDD<Row> rows) {
    return spark.createDataset(rows.rdd(), Encoders.row(SCHEMA));
  }

  static Row toRow(ParsedRow row, Split split) {
    return RowFactory.create(row.id(), split.value(), row.features(), row.label(),
        row.rejection(), row.raw());
  }
}
