package dev.sparkdistill.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.Settings;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.common.targets.SoftTargets;
import dev.sparkdistill.jobs.ScoringJob;
import dev.sparkdistill.jobs.SessionDefaults;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.ExampleBatches;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.io.ScoredRows;
import dev.sparkdistill.jobs.io.ScoredTables;
import dev.sparkdistill.jobs.io.ScoringSelection;
import dev.sparkdistill.jobs.model.ScoringEngines;
import dev.sparkdistill.jobs.model.ShippedModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code infer} job: scores an examples table with one or more teachers into the targets
 * table of the data contract, once, so students can be trained on it many times.
 *
 * <p>Operational facts: each teacher file is read and checked on the driver, then broadcast;
 * every executor JVM loads each teacher once, and every task thread scores with its own copy
 * (DL4J) or the JVM's one ONNX Runtime session, in batches of {@code infer.batch-size}. A DL4J
 * teacher is exported to ONNX on the driver and scored by ONNX Runtime when its export passes
 * the parity check on the first {@value #PARITY_SAMPLE_ROWS} rows ({@link ScoringEngines}); those
 * rows are the only ones that come to the driver. With
 * {@code min-confidence} or {@code max-per-class} the scored rows are persisted (memory and
 * disk) so the kept and the filtered rows are written from one scoring pass; the per-class cap
 * shuffles them by pseudo-label.
 *
 * <p>Incremental runs ({@code infer.batch-column}): the targets are partitioned by split and
 * batch, and the manifest lists the batches scored. A rerun scores only the batches the manifest
 * lacks and appends them; while it appends, {@code _SUCCESS} is absent, and the leftovers of an
 * interrupted append (batches not in the manifest) are removed before scoring again.
 */
public final class InferJob extends ScoringJob<InferJob.Inputs, TargetsManifest> {
  private static final Logger LOG = LoggerFactory.getLogger(InferJob.class);
  static final String FILTERED = "_filtered";
  /** Rows of the input the ONNX export of a DL4J teacher is checked on. */
  public static final int PARITY_SAMPLE_ROWS = 256;

  private final InferConfig config;

  public InferJob(InferConfig config) {
    this.config = config;
  }

  /** What the run works from: the examples' shape, the checked teachers, the examples rows. */
  record Inputs(TableShape shape, String examplesDigest, List<ShippedModel> teachers,
      List<TargetsManifest.Teacher> described, Dataset<Row> examples) {}

  @Override
  protected Output<TargetsManifest> output() {
    return new Output<>("infer", config.output(), config.mode(), TargetsManifest.class,
        "targets table", InferJob::isOwnLeftover);
  }

  @Override
  protected boolean sameRun(TargetsManifest previous, Inputs inputs) {
    return sameScoring(previous, inputs)
        && previous.examplesManifestDigest().equals(inputs.examplesDigest());
  }

  @Override
  protected boolean continues(Inputs inputs) {
    return config.incremental();
  }

  @Override
  protected String describe(TargetsManifest manifest) {
    return manifest.rows().scored() + " rows kept, " + manifest.rows().filtered() + " filtered";
  }

  @Override
  protected Rows<TargetsManifest> rows(Run run, Inputs inputs) {
    return new Rows<>(inputs.examples(), ScoredTables.splitBytes(config.input(),
        config.splits().stream().map(Split::value).toList(), run.out().conf()),
        config.incremental() ? new ScoringSelection.Batches<>("infer.batch-column",
            config.input(), config.batchColumn(), "scored",
            previous -> sameScoring(previous, inputs), TargetsManifest::batches,
            "targets scored by other teachers or another config",
            List.of(run.out().path(), run.out().child(FILTERED))) : null,
        () -> ScoringSelection.nothingSelected(run.spark(), "infer", config.input(),
            config.splits().stream().map(Split::value).toList(), "score"));
  }

  @Override
  protected Written<TargetsManifest> score(Run run, Inputs inputs, ScoringSelection rows) {
    SparkSession spark = run.spark();
    Inputs scoring = onEngines(inputs, rows.rows());
    SessionDefaults.with(spark, rows.readerSettings(spark.sparkContext().defaultParallelism(),
        config.batchSize()), () -> scoreAndWrite(spark, scoring, rows, run.out()));
    return Written.complete(manifest(scoring, run.started(),
        countWritten(spark, run.out(), rows.rowsAfter()), rows.batchesAfter()));
  }

  @Override
  protected Inputs readInputs(SparkSession spark) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    InputTable input = InputTable.complete(config.input(), "infer.input", "examples table",
        "run prepare first", conf);
    TableShape shape = input.shape();
    if (config.scoresViews()) {
      config.augment().checkFits(InferConfig.SECTION + ".augment", shape.featureShape());
    }
    dev.sparkdistill.common.data.FeatureScaling stored = config.teacherInputs().isEmpty() ? null
        : input.manifest(dev.sparkdistill.common.manifest.ExamplesManifest.class).scaling();
    List<ShippedModel> teachers = config.teachers().stream()
        .map(path -> ShippedModel.load(path, shape, conf, "teacher",
            dev.sparkdistill.common.config.ModelInput.of(config.teacherInputs(), path), stored))
        .toList();
    List<TargetsManifest.Teacher> described = teachers.stream()
        .map(t -> new TargetsManifest.Teacher(t.path(), t.sha256(), t.parameterCount(), null))
        .toList();
    Dataset<Row> table = spark.read().parquet(config.input());
    if (config.incremental()) {
      ScoredTables.requireBatchColumn(table, "infer.batch-column", config.batchColumn(),
          config.input());
    }
    requireColumnTypes(table);
    // The columns as stored, so that a plain scan stays one and is read columnar.
    List<Column> columns = new ArrayList<>(List.of(col("id"), col("features"), col("label"),
        col("split")));
    if (config.incremental()) {
      Column batch = col(config.batchColumn());
      columns.add(table.schema().apply(config.batchColumn()).dataType().equals(
          DataTypes.StringType) ? batch : batch.cast("string").as(config.batchColumn()));
    }
    Dataset<Row> examples = table.select(columns.toArray(Column[]::new));
    if (!config.splits().isEmpty()) {
      examples = examples.filter(col("split").isin(
          config.splits().stream().map(Split::value).toArray()));
    }
    return new Inputs(shape, input.digest(), teachers, described, examples);
  }

  /** Scoring reads the columns by position and type, so a table off the contract is refused. */
  private void requireColumnTypes(Dataset<Row> table) {
    Map<String, DataType> expected = new TreeMap<>(Map.of("id", DataTypes.StringType,
        "features", DataTypes.createArrayType(DataTypes.FloatType),
        "label", DataTypes.IntegerType, "split", DataTypes.StringType));
    StructType schema = table.schema();
    for (Map.Entry<String, DataType> column : expected.entrySet()) {
      Optional<DataType> actual = Arrays.stream(schema.fields())
          .filter(f -> f.name().equals(column.getKey())).map(f -> f.dataType()).findFirst();
      // Arrays match whatever their containsNull; features are checked row by row in prepare.
      boolean matches = actual.isPresent() && (column.getValue() instanceof ArrayType want
          ? actual.get() instanceof ArrayType got && got.elementType().equals(want.elementType())
          : actual.get().equals(column.getValue()));
      if (!matches) {
        throw new DistillException("infer.input = " + config.input() + ": column '"
            + column.getKey() + "' is " + actual.map(DataType::simpleString).orElse("missing")
            + ", expected " + column.getValue().simpleString() + " (the examples table of "
            + "prepare)");
      }
    }
  }

  /** The same config and teacher files; the engine follows from both. */
  private boolean sameScoring(TargetsManifest previous, Inputs inputs) {
    return previous.configDigest().equals(config.configDigest())
        && previous.teachers().stream().map(TargetsManifest.Teacher::file).toList()
            .equals(inputs.described().stream().map(TargetsManifest.Teacher::file).toList());
  }

  /**
   * The inputs with each teacher on the engine {@code infer.engine} and the parity check choose
   * ({@link ScoringEngines}), checked on the first rows of those to be scored.
   */
  private Inputs onEngines(Inputs inputs, Dataset<Row> examples) {
    List<Row> sample = examples.select("features").limit(PARITY_SAMPLE_ROWS).collectAsList();
    int width = inputs.shape().featureCount();
    float[] rows = new float[sample.size() * width];
    for (int i = 0; i < sample.size(); i++) {
      List<Float> features = sample.get(i).getList(0);
      for (int j = 0; j < width && j < features.size(); j++) {
        rows[i * width + j] = features.get(j) == null ? Float.NaN : features.get(j);
      }
    }
    List<ShippedModel> teachers = new ArrayList<>();
    List<TargetsManifest.Teacher> described = new ArrayList<>();
    for (int t = 0; t < inputs.teachers().size(); t++) {
      ScoringEngines.Choice choice = ScoringEngines.choose(inputs.teachers().get(t),
          inputs.shape(), config.engine(), rows, sample.size());
      teachers.add(choice.model());
      TargetsManifest.Teacher file = inputs.described().get(t);
      described.add(new TargetsManifest.Teacher(file.path(), file.sha256(),
          file.parameterCount(), choice.engine()));
    }
    logTopKError(teachers, rows, sample.size(), inputs.shape().classCount());
    return new Inputs(inputs.shape(), inputs.examplesDigest(), List.copyOf(teachers),
        List.copyOf(described), inputs.examples());
  }

  /**
   * With {@code form = top-k}, says how far the soft targets a student will rebuild are from the
   * dense ones on the sample rows, at the usual temperatures: the kept classes and the tail's
   * total are exact only at T = 1, and the tail's share grows with T.
   */
  private void logTopKError(List<ShippedModel> teachers, float[] rows, int count, int classes) {
    int k = Math.min(config.topK(), classes);
    if (config.form() != InferConfig.Form.TOP_K || count == 0 || k == classes) {
      return;
    }
    float[][][] perTeacher = new float[teachers.size()][][];
    for (int t = 0; t < teachers.size(); t++) {
      perTeacher[t] = teachers.get(t).teacher().logits(rows, count);
    }
    List<float[]> combined = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      float[][] row = new float[teachers.size()][];
      for (int t = 0; t < teachers.size(); t++) {
        row[t] = perTeacher[t][i];
      }
      combined.add(Ensemble.combine(row, config.ensemble()));
    }
    double[] temperatures = SoftTargets.USUAL_TEMPERATURES;
    double[] worst = SoftTargets.worstTailErrors(combined, k, temperatures);
    StringBuilder errors = new StringBuilder();
    for (int t = 0; t < temperatures.length; t++) {
      errors.append(String.format(Locale.ROOT, "%s%.4f at T = %s", t == 0 ? "" : ", ",
          worst[t], Settings.show(temperatures[t])));
    }
    LOG.info("infer.form = top-k keeps {} of {} classes: on {} rows of the input, soft targets "
        + "rebuilt from it differ from the dense ones by at most {} (largest probability "
        + "difference); use form = dense when students train at temperatures where that "
        + "matters", k, classes, count, errors);
  }

  private static boolean isOwnLeftover(String name) {
    return name.startsWith("split=") || name.equals("_temporary") || name.equals(FILTERED)
        || name.equals(OutputDirectory.MANIFEST);
  }

  private void scoreAndWrite(SparkSession spark, Inputs inputs, ScoringSelection selection,
      OutputDirectory out) {
    long rows = selection.count();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<List<ShippedModel>> shipped = jsc.broadcast(inputs.teachers());
    ScoringTime time = new ScoringTime(spark.sparkContext());
    ExampleBatches batches = ExampleBatches.of(selection.rows(), "features",
        inputs.shape().featureCount(), "id");
    LOG.info("reading {} from {}", config.input(), batches.columnar()
        ? "the Parquet reader's columnar batches" : "Spark's rows");
    Scoring scoring = new Scoring(shipped, config, inputs.shape().featureShape(), time, batches);
    JavaRDD<InternalRow> targets = batches.batches(config.batchSize())
        .mapPartitions(scoring::score);
    Dataset<Row> scored = ScoredRows.dataset(spark, targets, scoring.schema());
    long start = System.nanoTime();
    try {
      writeScored(spark, scored, out, rows, inputs.teachers().size(), selection.append());
    } finally {
      shipped.destroy();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    LOG.info(String.format(Locale.ROOT, "scored %d rows%s with %d teacher(s) in %.1f s "
        + "(%.0f rows/s); %s", rows, config.scoresViews() ? " and " + config.views()
            + " views of each" : "", inputs.teachers().size(), seconds, rows / seconds,
        time.describe(seconds, spark.sparkContext().defaultParallelism())));
  }

  private TargetsManifest manifest(Inputs inputs, String started, TargetsManifest.Rows rows,
      List<String> batches) {
    TableShape shape = inputs.shape();
    return new TargetsManifest(TargetsManifest.SCHEMA_VERSION,
        TargetsManifest.KIND, ProjectVersion.get(), started, Instant.now().toString(),
        shape.featureShape(), shape.featureCount(), shape.classCount(), shape.classNames(),
        config.input(), inputs.examplesDigest(), inputs.described(),
        Settings.spelling(config.ensemble()), Settings.spelling(config.form()),
        config.form() == InferConfig.Form.TOP_K ? Math.min(config.topK(), shape.classCount())
            : shape.classCount(),
        config.scoresViews() ? new TargetsManifest.Views(config.views(),
            config.augment().translate(), config.augment().flip(), config.augment().cutout(),
            config.seed()) : null,
        config.includeFeatures(), rows, batches, config.configDigest());
  }

  private void writeScored(SparkSession spark, Dataset<Row> scored, OutputDirectory out,
      long input, int teacherCount, boolean append) {
    String description = "infer: scoring " + input + " rows with " + teacherCount
        + " teacher(s) into " + out.path();
    if (!config.setsRowsAside()) {
      SparkPhases.run(spark, description, () -> out.write("targets table", () -> writeTable(
          scored.drop(Scoring.FILTER_REASON), out.path().toString(), append)));
      return;
    }
    // Scored once: the per-class cut-offs and both writes read the persisted rows.
    Dataset<Row> persisted = scored.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> marked = capPerClass(persisted, config.maxPerClass())
          .drop(Scoring.PSEUDO_LABEL, Scoring.CONFIDENCE);
      SparkPhases.run(spark, description, () -> out.write("targets table", () -> writeTable(
          marked.filter(col(Scoring.FILTER_REASON).isNull()).drop(Scoring.FILTER_REASON),
          out.path().toString(), append)));
      SparkPhases.run(spark, "infer: writing filtered rows to " + out.child(FILTERED),
          () -> out.write("targets table", () -> writeTable(
              marked.filter(col(Scoring.FILTER_REASON).isNotNull()),
              out.child(FILTERED).toString(), append)));
    } finally {
      persisted.unpersist();
    }
  }

  /**
   * Keeps at most {@code max-per-class} unlabeled rows per pseudo-label, the most confident
   * first (ties by id), as Noisy Student rebalances pseudo-labels; marks the rest filtered.
   * Only a narrow (pseudo-label, confidence, id) projection of the candidate rows is ranked, and
   * one cut-off per class comes to the driver; the full rows are filtered against it. Labeled
   * rows and rows filtered already (by min-confidence) are neither capped nor counted.
   *
   * @param scored scored rows with label, id, pseudo-label, confidence and filter reason
   * @param maxPerClass the cap; 0 or less keeps every row
   */
  static Dataset<Row> capPerClass(Dataset<Row> scored, int maxPerClass) {
    if (maxPerClass <= 0) {
      return scored;
    }
    Column eligible = col("label").isNull().and(col(Scoring.FILTER_REASON).isNull());
    Map<Integer, Row> cutoffs = new java.util.HashMap<>();
    scored.filter(eligible).select(Scoring.PSEUDO_LABEL, Scoring.CONFIDENCE, "id")
        .withColumn("rank", org.apache.spark.sql.functions.row_number().over(
            org.apache.spark.sql.expressions.Window.partitionBy(Scoring.PSEUDO_LABEL)
                .orderBy(col(Scoring.CONFIDENCE).desc(), col("id"))))
        .filter(col("rank").equalTo(maxPerClass)).collectAsList()
        .forEach(r -> cutoffs.put(r.getInt(0), r));
    // Beyond the cut-off: less confident, or as confident with a later id.
    Column beyond = lit(false);
    for (Row cutoff : cutoffs.values()) {
      beyond = beyond.or(col(Scoring.PSEUDO_LABEL).equalTo(cutoff.getInt(0)).and(
          col(Scoring.CONFIDENCE).lt(cutoff.getDouble(1)).or(col(Scoring.CONFIDENCE)
              .equalTo(cutoff.getDouble(1)).and(col("id").gt(cutoff.getString(2))))));
    }
    Column reason = org.apache.spark.sql.functions.concat(
        lit("class_cap: pseudo-label "), col(Scoring.PSEUDO_LABEL).cast("string"),
        lit(" keeps its " + maxPerClass + " most confident unlabeled rows"));
    return scored.withColumn(Scoring.FILTER_REASON,
        org.apache.spark.sql.functions.when(eligible.and(beyond), reason)
            .otherwise(col(Scoring.FILTER_REASON)));
  }

  private void writeTable(Dataset<Row> rows, String path, boolean append) {
    List<String> partitions = new ArrayList<>(List.of("split"));
    if (config.incremental()) {
      partitions.add(config.batchColumn());
    }
    TargetsWriter.write(rows, path, append, partitions);
  }

  /** Counts the written rows and checks input = scored + filtered. */
  private TargetsManifest.Rows countWritten(SparkSession spark, OutputDirectory out,
      long input) {
    Map<String, Long> bySplit = ScoredTables.rowsBy("split",
        spark.read().parquet(out.path().toString()));
    long scored = bySplit.values().stream().mapToLong(Long::longValue).sum();
    long filtered = HadoopFiles.exists(out.child(FILTERED),
        spark.sparkContext().hadoopConfiguration())
        ? spark.read().parquet(out.child(FILTERED).toString()).count() : 0;
    if (scored + filtered != input) {
      throw new DistillException("row accounting failed for " + out.path() + ": read " + input
          + " rows but wrote " + scored + " and filtered " + filtered);
    }
    return new TargetsManifest.Rows(input, scored, filtered, bySplit);
  }
}
