package dev.sparkdistill.jobs.train;

import static dev.sparkdistill.jobs.io.ArrayColumns.floats;
import static dev.sparkdistill.jobs.io.ArrayColumns.ints;
import static org.apache.spark.sql.functions.col;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.targets.SoftTargets;
import dev.sparkdistill.common.train.Augmentation;
import dev.sparkdistill.common.train.Minibatches;
import dev.sparkdistill.common.train.ViewReplay;
import dev.sparkdistill.jobs.io.FeatureRows;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.ScoredTables;
import dev.sparkdistill.jobs.runtime.TaskBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The table a model trains on: an examples table (hard labels only) or a targets table (teacher
 * scores as dense {@code teacher_logits} or top-k {@code topk_index}, {@code topk_logit},
 * {@code rest_logit}). Its manifest gives the feature shape and class count. Rows become
 * minibatch DataSets on the executors; nothing is collected to the driver.
 */
public final class TrainingInput {
  enum TeacherForm { NONE, DENSE, TOP_K }

  private static final String VIEW_PARAMS = TargetsManifest.Views.PARAMS_COLUMN;
  private static final String VIEW_LOGITS = TargetsManifest.Views.LOGITS_COLUMN;

  private final String location;
  /** The rows to train on: the table, joined to its examples' features when it has none. */
  private final Dataset<Row> table;
  /** The table as stored, which the checks of {@link #checkRows} read. */
  private final Dataset<Row> stored;
  private final TableShape shape;
  private final String manifestDigest;
  private final TeacherForm teacher;
  /** The augmented views each row stores ({@code infer.views}); null when none. */
  private final TargetsManifest.Views views;

  private TrainingInput(String location, Dataset<Row> table, Dataset<Row> stored,
      TableShape shape, String manifestDigest, TeacherForm teacher,
      TargetsManifest.Views views) {
    this.location = location;
    this.table = table;
    this.stored = stored;
    this.shape = shape;
    this.manifestDigest = manifestDigest;
    this.teacher = teacher;
    this.views = views;
  }

  public static TrainingInput open(SparkSession spark, String location) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    InputTable input = InputTable.complete(location, "train.input",
        "examples or targets table", "run prepare or infer first", conf);
    TableShape shape = input.shape();
    TargetsManifest.Views views = null;
    Dataset<Row> stored = spark.read().parquet(location);
    Dataset<Row> table = FeatureRows.of(spark, input, stored, "train.input");
    if (TargetsManifest.KIND.equals(shape.kind())) {
      views = input.manifest(TargetsManifest.class).views();
    }
    List<String> columns = Arrays.asList(table.columns());
    for (String required : List.of("features", "label", "split")) {
      if (!columns.contains(required)) {
        throw new DistillException("train.input = " + location + " has no '" + required
            + "' column; its columns are " + columns);
      }
    }
    TeacherForm teacher = columns.contains("teacher_logits") ? TeacherForm.DENSE
        : columns.contains("topk_index") ? TeacherForm.TOP_K : TeacherForm.NONE;
    if (views != null && !(columns.contains(VIEW_PARAMS) && columns.contains(VIEW_LOGITS))) {
      throw new DistillException("train.input = " + location + ": its manifest lists "
          + views.count() + " views per row but the table lacks the '" + VIEW_PARAMS + "' or '"
          + VIEW_LOGITS + "' column; its columns are " + columns);
    }
    return new TrainingInput(location, table, stored, shape,
        input.digest(), teacher, views);
  }

  /**
   * The views the training rows replay: those the table stores when the student learns from
   * the teacher (alpha > 0) and {@code train.replay-views} is on, else none. Replayed views are
   * the augmentation, so {@code train.augment} must then be off.
   */
  public ViewReplay replay(TrainConfig config) {
    if (views == null || !config.replayViews() || config.alpha() == 0) {
      return ViewReplay.NONE;
    }
    if (config.augment().active()) {
      throw new DistillException("train.augment is on and train.input = " + location
          + " stores " + views.count() + " teacher-scored views per row: the views are the "
          + "augmentation; turn train.augment off to replay them, or set train.replay-views = "
          + "false to train on the rows and their own logits");
    }
    return new ViewReplay(views.count(), shape.classCount(), views.augmentation());
  }

  public TableShape shape() {
    return shape;
  }

  String manifestDigest() {
    return manifestDigest;
  }

  TeacherForm teacher() {
    return teacher;
  }

  private Dataset<Row> rows(Split split) {
    return table.filter(col("split").equalTo(split.value()));
  }

  /**
   * Refuses, before any training step, rows that cannot be trained on: a label outside the class
   * count, teacher scores of the wrong length or NaN/Inf (naming the first offending row), and
   * teacher scores that are probabilities rather than logits (a teacher that ended in softmax:
   * every scored row in [0, 1] and summing to 1). One pass over the label and teacher columns.
   */
  void checkRows() {
    int classes = shape.classCount();
    String labelProblem = "WHEN label IS NOT NULL AND (label < 0 OR label >= " + classes + ") "
        + "THEN concat('has label ', label, ' but the table has " + classes + " classes "
        + "(labels 0 to " + (classes - 1) + ")') ";
    String problem = switch (teacher) {
      case NONE -> "CASE " + labelProblem + "END";
      case DENSE -> "CASE " + labelProblem + "WHEN teacher_logits IS NULL THEN NULL "
          + "WHEN size(teacher_logits) != " + classes + " THEN concat('has ', "
          + "size(teacher_logits), ' teacher logits but the table has " + classes + " classes') "
          + "WHEN exists(teacher_logits, x -> isnan(x) OR abs(x) = float('inf')) "
          + "THEN 'has a NaN or infinite teacher logit' END";
      case TOP_K -> "CASE " + labelProblem + "WHEN topk_index IS NULL THEN NULL "
          + "WHEN topk_logit IS NULL OR rest_logit IS NULL THEN 'has topk_index but no "
          + "topk_logit or rest_logit' "
          + "WHEN size(topk_index) != size(topk_logit) THEN 'has topk_index and topk_logit of "
          + "different lengths' WHEN exists(topk_index, i -> i < 0 OR i >= " + classes + ") "
          + "THEN 'has a topk_index outside [0, " + classes + ")' "
          + "WHEN exists(topk_logit, x -> isnan(x) OR abs(x) = float('inf')) OR isnan(rest_logit)"
          + " OR abs(rest_logit) = float('inf') THEN 'has a NaN or infinite teacher logit' END";
    };
    // Whether a row's scores read as probabilities: all in [0, 1], summing to 1. For top-k
    // rows the classes left out count as (C - k) * exp(rest_logit).
    String probabilities = switch (teacher) {
      case NONE -> "false";
      case DENSE -> "teacher_logits IS NOT NULL AND NOT exists(teacher_logits, x -> x < 0 OR "
          + "x > 1) AND abs(aggregate(teacher_logits, 0D, (s, x) -> s + x) - 1) < 1e-3";
      case TOP_K -> "topk_logit IS NOT NULL AND NOT exists(topk_logit, x -> x < 0 OR x > 1) "
          + "AND abs(aggregate(topk_logit, 0D, (s, x) -> s + x) + (" + classes
          + " - size(topk_logit)) * exp(rest_logit) - 1) < 1e-3";
    };
    if (views != null) {
      int logits = views.count() * classes;
      int params = views.count() * Augmentation.VIEW_PARAMETERS;
      problem = "coalesce(" + problem + ", CASE "
          + "WHEN view_logits IS NULL OR view_params IS NULL THEN 'has no view_logits or "
          + "view_params, which every row of a table with views has' "
          + "WHEN size(view_logits) != " + logits + " THEN concat('has ', size(view_logits), "
          + "' view logits but " + views.count() + " views of " + classes + " classes take "
          + logits + "') WHEN size(view_params) != " + params + " THEN concat('has ', "
          + "size(view_params), ' view parameters but " + views.count() + " views take "
          + params + "') WHEN exists(view_logits, x -> isnan(x) OR abs(x) = float('inf')) "
          + "THEN 'has a NaN or infinite view logit' END)";
    }
    String scored = switch (teacher) {
      case NONE -> "false";
      case DENSE -> "teacher_logits IS NOT NULL";
      case TOP_K -> "topk_index IS NOT NULL";
    };
    Row summary = stored.selectExpr("id", problem + " AS problem",
            "CASE WHEN " + scored + " THEN 1 ELSE 0 END AS scored",
            "CASE WHEN " + probabilities + " THEN 1 ELSE 0 END AS probability")
        .selectExpr("min_by(struct(id, problem), id) FILTER (WHERE problem IS NOT NULL) AS bad",
            "sum(scored) AS scored", "sum(probability) AS probabilities")
        .first();
    if (!summary.isNullAt(0)) {
      Row bad = summary.getStruct(0);
      throw new DistillException("train.input = " + location + ": row '" + bad.getString(0)
          + "' " + bad.getString(1));
    }
    long scoredRows = summary.isNullAt(1) ? 0 : summary.getLong(1);
    if (scoredRows > 0 && !summary.isNullAt(2) && summary.getLong(2) == scoredRows) {
      throw new DistillException("train.input = " + location + " holds probabilities, not "
          + "logits: the teacher scores of all " + scoredRows + " scored rows lie in [0, 1] and "
          + "sum to 1, so the teacher's last layer applies softmax. Score the examples with a "
          + "teacher whose output layer emits logits (identity activation); the temperature "
          + "needs logits");
    }
  }

  /**
   * The batches of the input's ingest column {@code column} (train.batch-column), sorted; a row
   * without a batch is refused, since no warm start could tell whether it is new.
   */
  public List<String> batches(String column) {
    ScoredTables.requireBatchColumn(table, "train.batch-column", column, location);
    return List.copyOf(ScoredTables.rowsByBatch(table.select(col(column).cast("string")
        .as(column)), column, "train.batch-column", location, "trained on").keySet());
  }

  /** This input with only the training rows {@code keep} selects; other splits stay whole. */
  public TrainingInput withTrainRows(org.apache.spark.sql.Column keep) {
    return new TrainingInput(location, table.filter(col("split").notEqual(Split.TRAIN.value())
        .or(keep)), stored, shape, manifestDigest, teacher, views);
  }

  /**
   * Minibatches of {@code split} (only its labeled rows if asked), packed on the executors, with
   * each row's stored views when the packer keeps them.
   */
  public JavaRDD<DataSet> batches(Split split, Minibatches packer, int batchSize, boolean labeledOnly) {
    int classes = shape.classCount();
    TeacherForm form = teacher;
    List<String> columns = new ArrayList<>(List.of("features", "label"));
    switch (form) {
      case DENSE -> columns.add("teacher_logits");
      case TOP_K -> columns.addAll(List.of("topk_index", "topk_logit", "rest_logit"));
      default -> { }
    }
    if (packer.keepsViews()) {
      columns.addAll(List.of(VIEW_LOGITS, VIEW_PARAMS));
    }
    Dataset<Row> rows = labeledOnly ? rows(split).filter(col("label").isNotNull()) : rows(split);
    return rows.select(columns.stream().map(c -> col(c)).toArray(
            org.apache.spark.sql.Column[]::new))
        .javaRDD()
        .mapPartitions(it -> pack(it, packer, batchSize, form, classes,
            packer.keepsViews()));
  }

  private static Iterator<DataSet> pack(Iterator<Row> rows, Minibatches packer, int batchSize,
      TeacherForm form, int classes, boolean withViews) {
    TaskBackend.prepare();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public DataSet next() {
        List<Minibatches.Example> batch = new ArrayList<>(batchSize);
        while (rows.hasNext() && batch.size() < batchSize) {
          batch.add(example(rows.next(), form, classes, withViews));
        }
        return packer.pack(batch);
      }
    };
  }

  /** @param withViews whether the row's last two columns are its view logits and parameters */
  static Minibatches.Example example(Row row, TeacherForm form, int classes,
      boolean withViews) {
    Integer label = row.isNullAt(1) ? null : row.getInt(1);
    float[] teacher = switch (form) {
      case NONE -> null;
      case DENSE -> row.isNullAt(2) ? null : floats(row.getList(2));
      case TOP_K -> row.isNullAt(2) ? null : SoftTargets.fromTopK(ints(row.getList(2)),
          floats(row.getList(3)), row.getFloat(4), classes);
    };
    if (withViews) {
      int at = row.size() - 2;
      return new Minibatches.Example(floats(row.getList(0)), label, teacher,
          row.isNullAt(at) ? null : floats(row.getList(at)),
          row.isNullAt(at + 1) ? null : ints(row.getList(at + 1)));
    }
    return new Minibatches.Example(floats(row.getList(0)), label, teacher);
  }

  @Override
  public String toString() {
    return location + switch (teacher) {
      case NONE -> " (hard labels only)";
      case DENSE -> views == null ? " (dense teacher logits)"
          : " (dense teacher logits, " + views.count() + " views per row)";
      case TOP_K -> " (top-k teacher logits)";
    };
  }
}
