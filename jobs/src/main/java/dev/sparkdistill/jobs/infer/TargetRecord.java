package dev.sparkdistill.jobs.infer;

import java.io.Serializable;

/**
 * One scored row as a Java bean (primitive arrays, no boxing per value). Holds every column a
 * targets table may have; {@link InferJob} selects those the configuration asks for.
 */
public class TargetRecord implements Serializable {
  private String id;
  private float[] features;
  private Integer label;
  private float[] teacherLogits;
  private int[] topkIndex;
  private float[] topkLogit;
  private Float restLogit;
  private float[][] eachTeacherLogits;
  private String filterReason;
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

  public float[] getTeacherLogits() {
    return teacherLogits;
  }

  public void setTeacherLogits(float[] teacherLogits) {
    this.teacherLogits = teacherLogits;
  }

  public int[] getTopkIndex() {
    return topkIndex;
  }

  public void setTopkIndex(int[] topkIndex) {
    this.topkIndex = topkIndex;
  }

  public float[] getTopkLogit() {
    return topkLogit;
  }

  public void setTopkLogit(float[] topkLogit) {
    this.topkLogit = topkLogit;
  }

  public Float getRestLogit() {
    return restLogit;
  }

  public void setRestLogit(Float restLogit) {
    this.restLogit = restLogit;
  }

  public float[][] getEachTeacherLogits() {
    return eachTeacherLogits;
  }

  public void setEachTeacherLogits(float[][] eachTeacherLogits) {
    this.eachTeacherLogits = eachTeacherLogits;
  }

  public String getFilterReason() {
    return filterReason;
  }

  public void setFilterReason(String filterReason) {
    this.filterReason = filterReason;
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
