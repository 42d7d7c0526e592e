package dev.sparkdistill.jobs.infer;

import dev.sparkdistill.jobs.io.ExampleBatches;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;
import static org.apache.spark.sql.functions.col;

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
import org.apache.spark.sql.Column;

/**
 * Scores one partition of examples, batch by batch, with every teacher and builds the targets
 * rows. The batches come from {@link ExampleBatches} with their features already laid out as the
 * teachers take them; the rows leave as beans with primitive arrays, which {@link #columns()}
 * shapes into the targets table, with a {@code filter_reason} that is null for kept rows.
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

  /** The columns of the targets table, in order, as expressions over {@link TargetRecord}. */
  List<Column> columns() {
    List<Column> columns = new ArrayList<>(List.of(col("id")));
    if (config.includeFeatures()) {
      columns.add(col("features"));
    }
    columns.add(col("label"));
    if (config.form() == InferConfig.Form.DENSE) {
      columns.add(col("teacherLogits").as("teacher_logits"));
    } else {
      columns.addAll(List.of(col("topkIndex").as("topk_index"), col("topkLogit").as("topk_logit"),
          col("restLogit").as("rest_logit")));
    }
    if (config.scoresViews()) {
      columns.addAll(List.of(col("viewParams").as(TargetsManifest.Views.PARAMS_COLUMN),
          col("viewLogits").as(TargetsManifest.Views.LOGITS_COLUMN)));
    }
    if (config.keepTeacherLogits() && teacherCount > 1) {
      for (int t = 0; t < teacherCount; t++) {
        columns.add(col("eachTeacherLogits").getItem(t).as("teacher_" + t + "_logits"));
      }
    }
    columns.add(col("filterReason").as(FILTER_REASON));
    if (config.maxPerClass() > 0) {
      columns.add(col("pseudoLabel").as(PSEUDO_LABEL));
      columns.add(col("confidence").as(CONFIDENCE));
    }
    columns.add(col("split"));
    if (config.incremental()) {
      columns.add(col("batch").as(config.batchColumn()));
    }
    return columns;
  }

  Iterator<TargetRecord> score(Iterator<ExampleBatches.Batch> batches) {
    TaskProgress progress = new TaskProgress(time);
    // This task thread's scorers, looked up once per partition rather than per batch.
    List<Teacher> scorers = broadcast.value().stream().map(ShippedModel::teacher).toList();
    return new Iterator<>() {
      private Iterator<TargetRecord> batch = java.util.Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        if (!batch.hasNext() && batches.hasNext()) {
          List<TargetRecord> scored = scoreBatch(batches.next(), scorers, progress);
          progress.scored(scored.size());
          batch = scored.iterator();
        }
        if (!batch.hasNext()) {
          progress.finished();
        }
        return batch.hasNext();
      }

      @Override
      public TargetRecord next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return batch.next();
      }
    };
  }

  private List<TargetRecord> scoreBatch(ExampleBatches.Batch batch, List<Teacher> scorers,
      TaskProgress progress) {
    int rows = batch.rows();
    float[][][] perTeacher = new float[scorers.size()][][];
    long start = System.nanoTime();
    for (int t = 0; t < scorers.size(); t++) {
      perTeacher[t] = scorers.get(t).logits(batch.features(), rows);
    }
    ScoredViews views = config.scoresViews() ? scoreViews(batch, scorers) : null;
    progress.inTeachers(System.nanoTime() - start);
    List<TargetRecord> out = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      float[][] logits = new float[scorers.size()][];
      for (int t = 0; t < scorers.size(); t++) {
        logits[t] = perTeacher[t][i];
      }
      TargetRecord row = toRow(batch, i, logits);
      if (views != null) {
        row.setViewParams(views.params()[i]);
        row.setViewLogits(views.logits()[i]);
      }
      out.add(row);
    }
    return out;
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

  private TargetRecord toRow(ExampleBatches.Batch batch, int i, float[][] logits) {
    float[] combined = Ensemble.combine(logits, config.ensemble());
    Integer label = batch.integer(labelAt, i);
    TargetRecord row = new TargetRecord();
    row.setId(batch.string(idAt, i));
    row.setFeatures(config.includeFeatures() ? batch.featuresOf(i) : null);
    row.setLabel(label);
    if (config.form() == InferConfig.Form.DENSE) {
      row.setTeacherLogits(combined);
    } else {
      SoftTargets.TopK top = SoftTargets.toTopK(combined, Math.min(config.topK(),
          combined.length));
      row.setTopkIndex(top.index());
      row.setTopkLogit(top.logit());
      row.setRestLogit(top.restLogit());
    }
    if (config.keepTeacherLogits() && logits.length > 1) {
      row.setEachTeacherLogits(logits);
    }
    row.setFilterReason(filterReason(label, combined));
    if (label == null && config.maxPerClass() > 0) {
      double[] p = Ensemble.softmax(combined);
      int top = Ensemble.argmax(p);
      row.setPseudoLabel(top);
      row.setConfidence(p[top]);
    }
    row.setSplit(batch.string(splitAt, i));
    row.setBatch(batchAt < 0 ? null : batch.string(batchAt, i));
    return row;
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
