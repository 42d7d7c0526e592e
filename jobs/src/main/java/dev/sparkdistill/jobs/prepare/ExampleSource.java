package dev.sparkdistill.jobs.prepare;

import dev.sparkdistill.common.data.Split;
import java.util.OptionalInt;
import org.apache.spark.sql.SparkSession;

/** Reads one split of raw data into {@link ParsedRows}. Rows are parsed on the executors. */
interface ExampleSource {
  /**
   * @param classCount the number of classes when the config fixes it; labels at or above it
   *     are rejected while parsing
   */
  SourceRows read(SparkSession spark, Split split, OptionalInt classCount);
}
