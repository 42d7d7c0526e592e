package dev.sparkdistill.jobs.prepare;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What a source yields for one split: rows in the {@link ParsedRows} schema, the shape of one
 * example, and whether ids come from a user column (and so may repeat).
 */
record SourceRows(Dataset<Row> rows, List<Integer> featureShape, boolean idsFromColumn) {
  int featureCount() {
    return featureShape.stream().reduce(1, Math::multiplyExact);
  }
}
