package dev.sparkdistill.jobs.infer;

import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.common.targets.SoftTargets;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scores one partition of examples in batches with every teacher and builds the targets rows.
 * Input rows are (id, features, label, split); output rows follow {@link #schema()}, with a
 * {@code filter_reason} that is null for kept rows.
 */
final class Scoring implements Serializable {
  static final String FILTER_REASON = "filter_reason";

  private final Broadcast<List<Teacher>> broadcast;
  private final int teacherCount;
  private final InferConfig config;
  private final int featureCount;

  /** @param teachers broadcast once, so the model bytes are not shipped with every task */
  Scoring(Broadcast<List<Teacher>> teachers, InferConfig config, int featureCount) {
    this.broadcast = teachers;
    this.teacherCount = teachers.value().size();
    this.config = config;
    this.featureCount = featureCount;
  }

  StructType schema() {
    StructType schema = new StructType().add("id", DataTypes.StringType, false);
    if (config.includeFeatures()) {
      schema = schema.add("features", DataTypes.createArrayType(DataTypes.FloatType, false));
    }
    schema = schema.add("label", DataTypes.IntegerType, true);
    if (config.form() == InferConfig.Form.DENSE) {
      schema = schema.add("teacher_logits", DataTypes.createArrayType(DataTypes.FloatType, false));
    } else {
      schema = schema.add("topk_index", DataTypes.createArrayType(DataTypes.IntegerType, false))
          .add("topk_logit", DataTypes.createArrayType(DataTypes.FloatType, false))
          .add("rest_logit", DataTypes.FloatType, false);
    }
    if (config.keepTeacherLogits() && teacherCount > 1) {
      for (int t = 0; t < teacherCount; t++) {
        schema = schema.add("teacher_" + t + "_logits",
            DataTypes.createArrayType(DataTypes.FloatType, false));
      }
    }
    return schema.add(FILTER_REASON, DataTypes.StringType, true)
        .add("split", DataTypes.StringType, false);
  }

  Iterator<Row> score(Iterator<Row> rows) {
    return new Iterator<>() {
      private Iterator<Row> batch = java.util.Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        if (!batch.hasNext() && rows.hasNext()) {
          batch = scoreBatch(rows).iterator();
        }
        return batch.hasNext();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return batch.next();
      }
    };
  }

  private List<Row> scoreBatch(Iterator<Row> rows) {
    List<Row> inputs = new ArrayList<>(config.batchSize());
    while (rows.hasNext() && inputs.size() < config.batchSize()) {
      inputs.add(rows.next());
    }
    float[] features = new float[inputs.size() * featureCount];
    for (int i = 0; i < inputs.size(); i++) {
      List<Float> values = inputs.get(i).getList(1);
      for (int j = 0; j < featureCount; j++) {
        features[i * featureCount + j] = values.get(j);
      }
    }
    INDArray x = Nd4j.create(features, new long[] {inputs.size(), featureCount}, 'c');
    List<Teacher> teachers = broadcast.value();
    float[][][] perTeacher = new float[teachers.size()][][];
    for (int t = 0; t < teachers.size(); t++) {
      perTeacher[t] = teachers.get(t).network().output(x, false).toFloatMatrix();
    }
    List<Row> out = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      float[][] logits = new float[teachers.size()][];
      for (int t = 0; t < teachers.size(); t++) {
        logits[t] = perTeacher[t][i];
      }
      out.add(toRow(inputs.get(i), logits));
    }
    return out;
  }

  private Row toRow(Row input, float[][] logits) {
    float[] combined = Ensemble.combine(logits, config.ensemble());
    List<Object> values = new ArrayList<>();
    values.add(input.getString(0));
    if (config.includeFeatures()) {
      values.add(input.get(1));
    }
    Integer label = input.isNullAt(2) ? null : input.getInt(2);
    values.add(label);
    if (config.form() == InferConfig.Form.DENSE) {
      values.add(combined);
    } else {
      SoftTargets.TopK top = SoftTargets.toTopK(combined, Math.min(config.topK(),
          combined.length));
      values.add(top.index());
      values.add(top.logit());
      values.add(top.restLogit());
    }
    if (config.keepTeacherLogits() && logits.length > 1) {
      values.addAll(List.of((Object[]) logits));
    }
    values.add(filterReason(label, combined));
    values.add(input.getString(3));
    return RowFactory.create(values.toArray());
  }

  private String filterReason(Integer label, float[] combined) {
    if (label != null || config.minConfidence() <= 0) {
      return null;
    }
    double top = Ensemble.topProbability(combined);
    return top >= config.minConfidence() ? null : String.format(Locale.ROOT,
        "low_confidence: top teacher probability %.4f < %s", top, config.minConfidence());
  }
}
