package dev.sparkdistill.jobs.infer;

import dev.sparkdistill.jobs.SessionDefaults;
import dev.sparkdistill.jobs.io.ScoredTables;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a targets table the way the Parquet writer spends least per row, since with features
 * copied it handles several hundred values a row against a handful of logits. Every choice here
 * yields the same rows to any reader.
 */
final class TargetsWriter {
  private TargetsWriter() {}

  static void write(Dataset<Row> rows, String path, boolean append, List<String> partitions) {
    SessionDefaults.with(rows.sparkSession(), List.of(ScoredTables.twoLevelLists(),
        ScoredTables.writeAsScored()),
        () -> rows.write()
            .mode(append ? "append" : "overwrite")
            .partitionBy(partitions.toArray(String[]::new))
            .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
            .options(dictionaryOptions(rows.schema()))
            .parquet(path));
  }

  /**
   * No dictionary encoding for the teacher's outputs nor the ids: logits and ids are all
   * distinct, so Parquet fills a dictionary for each column chunk, finds it no smaller and
   * encodes the values again plainly. The features keep theirs: pixels and other inputs often
   * take few values. Both list layouts' column paths are named, so the options hold whichever
   * layout the session writes.
   */
  static Map<String, String> dictionaryOptions(StructType schema) {
    Map<String, String> options = new TreeMap<>();
    for (StructField field : schema.fields()) {
      if (isTeacherOutput(field) || field.name().equals("id")) {
        List<String> paths = field.dataType() instanceof ArrayType ? List.of(field.name(),
            field.name() + ".array", field.name() + ".list.element") : List.of(field.name());
        for (String path : paths) {
          options.put("parquet.enable.dictionary#" + path, "false");
        }
      }
    }
    return options;
  }

  private static boolean isTeacherOutput(StructField field) {
    DataType type = field.dataType();
    boolean floats = type.equals(DataTypes.FloatType) || (type instanceof ArrayType array
        && array.elementType().equals(DataTypes.FloatType));
    return floats && !field.name().equals("features");
  }
}
