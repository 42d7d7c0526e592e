package dev.sparkdistill.jobs.infer;

/**
 * One scored row as a Java bean (primitive arrays, no boxing per value, which the bean encoder
 * copies whole): the example's columns and every column a targets table may have; {@link
 * Scoring#columns()} selects those the configuration asks for.
 */
public class TargetRecord implements java.io.Serializable {
  private String id;
  private float[] features;
  private Integer label;
  private String split;
  private String batch;
  private float[] teacherLogits;
  private int[] topkIndex;
  private float[] topkLogit;
  private Float restLogit;
  private float[][] eachTeacherLogits;
  private int[] viewParams;
  private float[] viewLogits;
  private String filterReason;
  private Integer pseudoLabel;
  private Double confidence;

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

  /** The augmented views' parameters, view after view; null without views. */
  public int[] getViewParams() {
    return viewParams;
  }

  public void setViewParams(int[] viewParams) {
    this.viewParams = viewParams;
  }

  /** The augmented views' combined logits, view after view; null without views. */
  public float[] getViewLogits() {
    return viewLogits;
  }

  public void setViewLogits(float[] viewLogits) {
    this.viewLogits = viewLogits;
  }

  public String getFilterReason() {
    return filterReason;
  }

  public void setFilterReason(String filterReason) {
    this.filterReason = filterReason;
  }

  /** The teacher's top class for an unlabeled row, else null. */
  public Integer getPseudoLabel() {
    return pseudoLabel;
  }

  public void setPseudoLabel(Integer pseudoLabel) {
    this.pseudoLabel = pseudoLabel;
  }

  /** The teacher's top probability for an unlabeled row, else null. */
  public Double getConfidence() {
    return confidence;
  }

  public void setConfidence(Double confidence) {
    this.confidence = confidence;
  }
}
