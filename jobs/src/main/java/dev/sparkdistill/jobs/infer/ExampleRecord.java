package dev.sparkdistill.jobs.infer;

import dev.sparkdistill.jobs.io.CatalystRows;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * One row of the examples table as a Java bean with the features as a primitive float array.
 * Read from Spark's own rows ({@link Reader}), since the bean decoder boxes every value of an
 * array on the way; {@link TargetRecord} extends it for the way out, where the bean encoder
 * copies arrays whole.
 */
public class ExampleRecord implements Serializable {
  /** The examples columns a {@link Reader} reads. */
  public static final List<String> COLUMNS = List.of("id", "features", "label", "split", "batch");

  private String id;
  private float[] features;
  private Integer label;
  private String split;
  private String batch;

  /** Reads records from Spark's rows of {@link #COLUMNS}, found by name. */
  static final class Reader implements Serializable {
    private final CatalystRows rows;
    private final int id;
    private final int features;
    private final int label;
    private final int split;
    private final int batch;

    Reader(CatalystRows rows) {
      this.rows = rows;
      this.id = rows.position("id");
      this.features = rows.position("features");
      this.label = rows.position("label");
      this.split = rows.position("split");
      this.batch = rows.position("batch");
    }

    /** Copies a row; Spark reuses the row object, so nothing refers to it. */
    ExampleRecord read(InternalRow row) {
      ExampleRecord record = new ExampleRecord();
      record.id = rows.string(row, id);
      record.features = rows.floats(row, features);
      record.label = rows.integer(row, label);
      record.split = rows.string(row, split);
      record.batch = rows.string(row, batch);
      return record;
    }
  }

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public float[] getFeatures() {
    return features;
  }

  public void setFeatures(float[] features) {
    this.features = features;
  }

  public Integer getLabel() {
    return label;
  }

  public void setLabel(Integer label) {
    this.label = label;
  }

  public String getSplit() {
    return split;
  }

  public void setSplit(String split) {
    this.split = split;
  }

  /** The ingest batch for incremental runs, else null. */
  public String getBatch() {
    return batch;
  }

  public void setBatch(String batch) {
    this.batch = batch;
  }
}
