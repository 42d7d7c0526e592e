package dev.sparkdistill.jobs.infer;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * One row of the examples table as a Java bean with the features as a primitive float array.
 * Read from Spark's own rows ({@link #from}), since the bean decoder boxes every value of an
 * array on the way; {@link TargetRecord} extends it for the way out, where the bean encoder
 * copies arrays whole.
 */
public class ExampleRecord implements Serializable {
  /** The examples columns {@link #from} reads, in this order. */
  public static final List<String> COLUMNS = List.of("id", "features", "label", "split", "batch");

  private String id;
  private float[] features;
  private Integer label;
  private String split;
  private String batch;

  /** Copies a row of {@link #COLUMNS}; Spark reuses the row object, so nothing refers to it. */
  static ExampleRecord from(InternalRow row) {
    ExampleRecord record = new ExampleRecord();
    record.id = row.getUTF8String(0).toString();
    record.features = row.getArray(1).toFloatArray();
    record.label = row.isNullAt(2) ? null : row.getInt(2);
    record.split = row.getUTF8String(3).toString();
    record.batch = row.isNullAt(4) ? null : row.getUTF8String(4).toString();
    return record;
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
