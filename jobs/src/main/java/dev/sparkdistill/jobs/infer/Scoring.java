package dev.sparkdistill.jobs.infer;

import dev.sparkdistill.jobs.io.ExampleBatches;
import dev.sparkdistill.jobs.io.ScoredRows;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;

import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.common.targets.SoftTargets;
import dev.sparkdistill.common.train.Augmentation;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scores one partition of examples, batch by batch, with every teacher and builds the targets
 * rows. The batches come from {@link ExampleBatches} with their features already laid out as the
 * teachers take them; the rows leave as Spark's own rows ({@link ScoredRows}) in the columns of
 * {@link #schema()}, with a {@code filter_reason} that is null for kept rows.
 */
final class Scoring implements Serializable {
  static final String FILTER_REASON = "filter_reason";
  /** Working columns for the per-class cap, dropped before writing. */
  static final String PSEUDO_LABEL = "_pseudo_label";
  static final String CONFIDENCE = "_confidence";

  private final Broadcast<List<ShippedModel>> broadcast;
  private final int teacherCount;
  private final InferConfig config;
  private final List<Integer> featureShape;
  private final ScoringTime time;
  private final int idAt;
  private final int labelAt;
  private final int splitAt;
  /** The batch column's position for incremental runs, else -1. */
  private final int batchAt;

  /**
   * @param teachers broadcast once, so the model bytes are not shipped with every task
   * @param featureShape the rows' shape, which the views' transforms need
   * @param time where each task adds its time when it is done
   * @param examples the batches to score: id, features, label, split and, for incremental
   *     runs, the batch column
   */
  Scoring(Broadcast<List<ShippedModel>> teachers, InferConfig config, List<Integer> featureShape,
      ScoringTime time, ExampleBatches examples) {
    this.broadcast = teachers;
    this.idAt = examples.position("id");
    this.labelAt = examples.position("label");
    this.splitAt = examples.position("split");
    this.batchAt = config.incremental() ? examples.position(config.batchColumn()) : -1;
    this.teacherCount = teachers.value().size();
    this.config = config;
    this.featureShape = List.copyOf(featureShape);
    this.time = time;
  }

  /**
   * The targets table's columns, in order, with the working columns ({@value #FILTER_REASON},
   * and for the per-class cap the pseudo-label and confidence) before split and batch.
   */
  StructType schema() {
    DataType floats = DataTypes.createArrayType(DataTypes.FloatType, false);
    DataType ints = DataTypes.createArrayType(DataTypes.IntegerType, false);
    StructType schema = new StructType().add("id", DataTypes.StringType);
    if (config.includeFeatures()) {
      schema = schema.add("features", floats);
    }
    schema = schema.add("label", DataTypes.IntegerType);
    if (config.form() == InferConfig.Form.DENSE) {
      schema = schema.add("teacher_logits", floats);
    } else {
      schema = schema.add("topk_index", ints).add("topk_logit", floats)
          .add("rest_logit", DataTypes.FloatType);
    }
    if (config.scoresViews()) {
      schema = schema.add(TargetsManifest.Views.PARAMS_COLUMN, ints)
          .add(TargetsManifest.Views.LOGITS_COLUMN, floats);
    }
    if (eachTeachersLogits()) {
      for (int t = 0; t < teacherCount; t++) {
        schema = schema.add("teacher_" + t + "_logits", floats);
      }
    }
    schema = schema.add(FILTER_REASON, DataTypes.StringType);
    if (config.maxPerClass() > 0) {
      schema = schema.add(PSEUDO_LABEL, DataTypes.IntegerType)
          .add(CONFIDENCE, DataTypes.DoubleType);
    }
    schema = schema.add("split", DataTypes.StringType);
    if (config.incremental()) {
      schema = schema.add(config.batchColumn(), DataTypes.StringType);
    }
    return schema;
  }

  private boolean eachTeachersLogits() {
    return config.keepTeacherLogits() && teacherCount > 1;
  }

  /** The partition's rows scored, as rows of {@link #schema()}, batch after batch. */
  Iterator<InternalRow> score(Iterator<ExampleBatches.Batch> batches) {
    TaskProgress progress = new TaskProgress(time);
    // This task thread's scorers, looked up once per partition rather than per batch.
    List<Teacher> scorers = broadcast.value().stream().map(ShippedModel::teacher).toList();
    int columns = schema().length();
    return new Iterator<>() {
      private ScoredBatch scored;
      private int next;
      // One row filled again for each scored row: see ScoredRows.
      private final Object[] values = new Object[columns];
      private final InternalRow row = new GenericInternalRow(values);
      private final ScoredRows.FewStrings splits = new ScoredRows.FewStrings();
      private final ScoredRows.FewStrings batchNames = new ScoredRows.FewStrings();

      @Override
      public boolean hasNext() {
        while ((scored == null || next == scored.batch().rows()) && batches.hasNext()) {
          scored = scoreBatch(batches.next(), scorers, progress);
          progress.scored(scored.batch().rows());
          next = 0;
        }
        boolean more = scored != null && next < scored.batch().rows();
        if (!more) {
          progress.finished();
        }
        return more;
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        fill(values, scored, next++, splits, batchNames);
        return row;
      }
    };
  }

  /** A batch with every teacher's logits for its rows ([teacher][row]) and its views' scores. */
  private record ScoredBatch(ExampleBatches.Batch batch, float[][][] perTeacher,
      ScoredViews views) {}

  private ScoredBatch scoreBatch(ExampleBatches.Batch batch, List<Teacher> scorers,
      TaskProgress progress) {
    int rows = batch.rows();
    float[][][] perTeacher = new float[scorers.size()][][];
    long start = System.nanoTime();
    for (int t = 0; t < scorers.size(); t++) {
      perTeacher[t] = scorers.get(t).logits(batch.features(), rows);
    }
    ScoredViews views = config.scoresViews() ? scoreViews(batch, scorers) : null;
    progress.inTeachers(System.nanoTime() - start);
    return new ScoredBatch(batch, perTeacher, views);
  }

  /** Per row: its views' parameters and their combined logits, view after view. */
  private record ScoredViews(int[][] params, float[][] logits) {}

  /**
   * Draws {@code infer.views} views of every row from the seed and the row's id, and scores them
   * with every teacher, {@code infer.batch-size} views per call. The pixels of a view live only
   * here: the table keeps its parameters, from which train renders the same view.
   */
  private ScoredViews scoreViews(ExampleBatches.Batch batch, List<Teacher> scorers) {
    int rows = batch.rows();
    int views = config.views();
    int width = batch.width();
    float[] features = batch.features();
    Augmentation augment = config.augment();
    int[][] params = new int[rows][views * Augmentation.VIEW_PARAMETERS];
    float[][][] perTeacher = new float[scorers.size()][rows * views][];
    int perCall = config.batchSize();
    float[] call = new float[Math.min(perCall, rows * views) * width];
    for (int first = 0; first < rows * views; first += perCall) {
      int count = Math.min(perCall, rows * views - first);
      for (int j = 0; j < count; j++) {
        int row = (first + j) / views;
        int view = (first + j) % views;
        Augmentation.View drawn = augment.draw(new SplittableRandom(Augmentation.exampleViewSeed(
            config.seed(), batch.string(idAt, row), view)), featureShape.get(1),
            featureShape.get(2));
        drawn.store(params[row], view * Augmentation.VIEW_PARAMETERS);
        augment.render(drawn, featureShape, features, row * width, call, j * width);
      }
      float[] rendered = count * width == call.length ? call
          : Arrays.copyOf(call, count * width);
      for (int t = 0; t < scorers.size(); t++) {
        float[][] logits = scorers.get(t).logits(rendered, count);
        System.arraycopy(logits, 0, perTeacher[t], first, count);
      }
    }
    float[][] combined = new float[rows][];
    for (int row = 0; row < rows; row++) {
      for (int view = 0; view < views; view++) {
        float[][] logits = new float[scorers.size()][];
        for (int t = 0; t < scorers.size(); t++) {
          logits[t] = perTeacher[t][row * views + view];
        }
        float[] one = Ensemble.combine(logits, config.ensemble());
        if (combined[row] == null) {
          combined[row] = new float[views * one.length];
        }
        System.arraycopy(one, 0, combined[row], view * one.length, one.length);
      }
    }
    return new ScoredViews(params, combined);
  }

  /** Row {@code i} of a scored batch into {@code values}, in the order of {@link #schema()}. */
  private void fill(Object[] values, ScoredBatch scored, int i, ScoredRows.FewStrings splits,
      ScoredRows.FewStrings batchNames) {
    ExampleBatches.Batch batch = scored.batch();
    float[][] logits = new float[teacherCount][];
    for (int t = 0; t < teacherCount; t++) {
      logits[t] = scored.perTeacher()[t][i];
    }
    float[] combined = Ensemble.combine(logits, config.ensemble());
    Integer label = batch.integer(labelAt, i);
    int c = 0;
    values[c++] = ScoredRows.string(batch.string(idAt, i));
    if (config.includeFeatures()) {
      values[c++] = ScoredRows.floats(batch.features(), i * batch.width(), batch.width());
    }
    values[c++] = label;
    if (config.form() == InferConfig.Form.DENSE) {
      values[c++] = ScoredRows.floats(combined);
    } else {
      SoftTargets.TopK top = SoftTargets.toTopK(combined, Math.min(config.topK(),
          combined.length));
      values[c++] = ScoredRows.ints(top.index());
      values[c++] = ScoredRows.floats(top.logit());
      values[c++] = top.restLogit();
    }
    if (scored.views() != null) {
      values[c++] = ScoredRows.ints(scored.views().params()[i]);
      values[c++] = ScoredRows.floats(scored.views().logits()[i]);
    }
    if (eachTeachersLogits()) {
      for (float[] teacher : logits) {
        values[c++] = ScoredRows.floats(teacher);
      }
    }
    values[c++] = ScoredRows.string(filterReason(label, combined));
    if (config.maxPerClass() > 0) {
      Integer pseudoLabel = null;
      Double confidence = null;
      if (label == null) {
        double[] p = Ensemble.softmax(combined);
        pseudoLabel = Ensemble.argmax(p);
        confidence = p[pseudoLabel];
      }
      values[c++] = pseudoLabel;
      values[c++] = confidence;
    }
    values[c++] = splits.of(batch.string(splitAt, i));
    if (batchAt >= 0) {
      values[c] = batchNames.of(batch.string(batchAt, i));
    }
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
