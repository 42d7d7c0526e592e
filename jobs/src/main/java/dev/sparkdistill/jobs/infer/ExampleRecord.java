package dev.sparkdistill.jobs.infer;

import java.io.Serializable;

/**
 * One row of the examples table as a Java bean, so Spark's bean encoder moves the features as a
 * primitive float array, with no boxing per value.
 */
public class ExampleRecord implements Serializable {
  private String id;
  private float[] features;
  private Integer label;
  private String split;
  private String batch;

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
