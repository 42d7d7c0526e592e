package dev.sparkdistill.jobs.predict;

import static org.apache.spark.sql.functions.col;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.PredictConfig;
import dev.sparkdistill.common.manifest.PredictionsManifest;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.targets.ScoringSplits;
import dev.sparkdistill.jobs.SessionDefaults;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.ArrayColumns;
import dev.sparkdistill.jobs.io.ExampleBatches;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.OutputClaim;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.io.ScoredTables;
import dev.sparkdistill.jobs.model.ScoringEngines;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code predict} job: scores an examples table with one model (a student, typically) into a
 * predictions table a downstream job or a SQL engine reads as it is: per row the id, the
 * predicted class's index and name, its probability, optionally the top k classes, and the
 * input columns {@code predict.passthrough} names, partitioned by split like the input.
 *
 * <p>Operational facts: the model is read and checked on the driver and broadcast; a DL4J model
 * is scored by ONNX Runtime when its export passes the parity check on the first
 * {@value #PARITY_SAMPLE_ROWS} rows, as in {@code infer}. One pass over the input; nothing but
 * those rows and the row counts come to the driver. Incremental runs
 * ({@code predict.batch-column}) predict only the batches the manifest lacks and append them,
 * exactly as {@code infer} does.
 */
public final class PredictJob {
  private static final Logger LOG = LoggerFactory.getLogger(PredictJob.class);
  static final int PARITY_SAMPLE_ROWS = 256;

  private final PredictConfig config;

  public PredictJob(PredictConfig config) {
    this.config = config;
  }

  /** What a run predicts from: the examples' shape and digest, the model, the selected rows. */
  private record Inputs(TableShape shape, String examplesDigest, ShippedModel model,
      Dataset<Row> examples) {}

  public PredictionsManifest run(SparkSession spark) {
    String started = Instant.now().toString();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Inputs inputs = readInputs(spark, conf);
    OutputDirectory out = new OutputDirectory(config.output(), conf);
    try (OutputClaim claim = out.claim("predict")) {
      return config.incremental() ? runIncremental(spark, inputs, out, started)
          : runWhole(spark, inputs, out, started);
    } finally {
      ShippedModel.releaseAll();
    }
  }

  private Inputs readInputs(SparkSession spark, Configuration conf) {
    InputTable input = InputTable.complete(config.input(), "predict.input", "examples table",
        "run prepare first", conf);
    TableShape shape = input.shape();
    ShippedModel model = ShippedModel.load(config.model(), shape, conf, "predict.model =");
    Dataset<Row> table = spark.read().parquet(config.input());
    Dataset<Row> examples = table.select(inputColumns(table.schema()).toArray(Column[]::new));
    if (!config.splits().isEmpty()) {
      examples = examples.filter(col("split").isin(config.splits().toArray()));
    }
    return new Inputs(shape, input.digest(), model, examples);
  }

  /**
   * The columns scoring reads, in the order {@link Predictions} expects: id, features, split,
   * the batch (incremental runs), then the passthrough columns. A column off the contract or
   * missing is refused here, before anything is scored.
   */
  private List<Column> inputColumns(StructType schema) {
    require(schema, "id", DataTypes.StringType, "the examples table of prepare");
    require(schema, "features", DataTypes.createArrayType(DataTypes.FloatType),
        "the examples table of prepare");
    require(schema, "split", DataTypes.StringType, "the examples table of prepare");
    List<Column> columns = new ArrayList<>(List.of(col("id"), col("features"), col("split")));
    if (config.incremental()) {
      present(schema, config.batchColumn(), "predict.batch-column");
      // As stored when a string, so that a plain scan stays one and is read columnar.
      columns.add(schema.apply(config.batchColumn()).dataType().equals(DataTypes.StringType)
          ? col(config.batchColumn())
          : col(config.batchColumn()).cast("string").as(config.batchColumn()));
    }
    for (String name : config.passthrough()) {
      present(schema, name, "predict.passthrough");
      columns.add(col(name));
    }
    return columns;
  }

  private void require(StructType schema, String name, org.apache.spark.sql.types.DataType type,
      String expected) {
    Optional<StructField> field = Arrays.stream(schema.fields())
        .filter(f -> f.name().equals(name)).findFirst();
    boolean matches = field.isPresent() && (type instanceof ArrayType want
        ? field.get().dataType() instanceof ArrayType got
            && got.elementType().equals(want.elementType())
        : field.get().dataType().equals(type));
    if (!matches) {
      throw new DistillException("predict.input = " + config.input() + ": column '" + name
          + "' is " + field.map(f -> f.dataType().simpleString()).orElse("missing")
          + ", expected " + type.simpleString() + " (" + expected + ")");
    }
  }

  private void present(StructType schema, String name, String key) {
    if (Arrays.stream(schema.fieldNames()).noneMatch(name::equals)) {
      throw new DistillException(key + " names '" + name + "', which is not a column of "
          + config.input() + "; its columns are " + Arrays.toString(schema.fieldNames()));
    }
  }

  private PredictionsManifest runWhole(SparkSession spark, Inputs inputs, OutputDirectory out,
      String started) {
    Optional<PredictionsManifest> done = out.prepareForWrite(config.mode(),
        PredictionsManifest.class, previous -> sameScoring(previous, inputs)
            && previous.examplesManifestDigest().equals(inputs.examplesDigest()),
        PredictJob::isOwnLeftover, "predictions table", false);
    if (done.isPresent()) {
      LOG.info("{} is already complete for these examples, model and config; nothing to do",
          out.path());
      return done.get();
    }
    long rows = inputs.examples().count();
    if (rows == 0) {
      throw nothingToPredict(spark);
    }
    ScoringEngines.Choice engine = chooseEngine(inputs, inputs.examples());
    long bytes = ScoredTables.splitBytes(config.input(), config.splits(),
        spark.sparkContext().hadoopConfiguration());
    predict(spark, inputs, engine.model(), inputs.examples(), out, rows, bytes, false);
    return complete(out, inputs, engine.engine(), started, countWritten(spark, out, rows), null);
  }

  private PredictionsManifest runIncremental(SparkSession spark, Inputs inputs,
      OutputDirectory out, String started) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String batch = config.batchColumn();
    Map<String, Long> rowsByBatch = ScoredTables.rowsByBatch(inputs.examples(), batch,
        "predict.batch-column", batch, config.input(), "predicted");
    if (rowsByBatch.isEmpty()) {
      throw nothingToPredict(spark);
    }
    ScoredTables.BatchPlan plan = new ScoredTables.BatchPlan(rowsByBatch,
        ScoredTables.heldBatches(out, conf, config.mode(), PredictionsManifest.class,
            previous -> sameScoring(previous, inputs), PredictionsManifest::batches,
            PredictJob::isOwnLeftover, "predictions of another model or config"));
    if (plan.fresh().isEmpty() && out.isComplete()) {
      LOG.info("{} already holds every batch of {} ({}); nothing to do", out.path(),
          config.input(), plan.held());
      return out.completeManifest(PredictionsManifest.class).orElseThrow();
    }
    ScoredTables.removeUnlistedBatches(out, List.of(out.path()), batch, plan.held(), conf);
    LOG.info("predicting batches {} of {}; {} predicted before", plan.fresh(), batch,
        plan.held());
    Dataset<Row> rows = inputs.examples().filter(col(batch).isin(plan.fresh().toArray()));
    long bytes = (long) (ScoredTables.splitBytes(config.input(), config.splits(), conf)
        * plan.freshShare());
    ScoringEngines.Choice engine = chooseEngine(inputs, rows);
    predict(spark, inputs, engine.model(), rows, out, plan.freshRows(), bytes, true);
    return complete(out, inputs, engine.engine(), started,
        countWritten(spark, out, plan.rowsAfter()), plan.batchesAfter());
  }

  private boolean sameScoring(PredictionsManifest previous, Inputs inputs) {
    return previous.configDigest().equals(config.configDigest())
        && previous.modelSha256().equals(inputs.model().sha256());
  }

  private static boolean isOwnLeftover(String name) {
    return name.startsWith("split=") || name.equals("_temporary")
        || name.equals(OutputDirectory.MANIFEST);
  }

  private DistillException nothingToPredict(SparkSession spark) {
    Map<String, Long> bySplit = ScoredTables.rowsBy("split",
        spark.read().parquet(config.input()));
    String counts = bySplit.isEmpty() ? "none" : bySplit.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
    return new DistillException((config.splits().isEmpty() ? "predict.input has no rows: "
        : "predict.splits = " + config.splits() + " selects no rows of ") + config.input()
        + " (rows per split: " + counts + "); nothing to predict");
  }

  /** The model on the engine {@code predict.engine} and the parity check choose. */
  private ScoringEngines.Choice chooseEngine(Inputs inputs, Dataset<Row> rows) {
    List<float[]> sample = rows.select("features").limit(PARITY_SAMPLE_ROWS).collectAsList()
        .stream().map(r -> ArrayColumns.floats(r.<Float>getList(0)))
        .toList();
    return ScoringEngines.choose(inputs.model(), inputs.shape(), config.engine(),
        Teacher.batchOf(sample), sample.size(), "predict.engine", "model");
  }

  /** @param bytes the examples' bytes on storage that these rows take, to size the tasks */
  private void predict(SparkSession spark, Inputs inputs, ShippedModel model,
      Dataset<Row> rows, OutputDirectory out, long count, long bytes, boolean append) {
    long splitBytes = ScoringSplits.maxPartitionBytes(bytes,
        spark.sparkContext().defaultParallelism());
    SessionDefaults.with(spark, List.of(
        new SessionDefaults.Setting("spark.sql.files.maxPartitionBytes",
            Long.toString(splitBytes), "many small scoring tasks end together"),
        new SessionDefaults.Setting("spark.sql.parquet.columnarReaderBatchSize",
            Integer.toString(ScoringSplits.readerBatchRows(config.batchSize())),
            "the Parquet reader holds one scoring batch of features at a time"),
        ScoredTables.writeAsScored()),
        () -> predictAndWrite(spark, inputs, model, rows, out, count, append));
  }

  private void predictAndWrite(SparkSession spark, Inputs inputs, ShippedModel model,
      Dataset<Row> rows, OutputDirectory out, long count, boolean append) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<ShippedModel> shipped = jsc.broadcast(model);
    ExampleBatches batches = ExampleBatches.of(rows, "features",
        inputs.shape().featureCount(), "id");
    Predictions predictions = new Predictions(shipped, inputs.shape(), config, rows.schema());
    // The row encoder's generated serializer out: createDataFrame would convert value by value.
    Dataset<Row> predicted = spark.createDataset(batches.batches(config.batchSize())
        .mapPartitions(predictions::predict).rdd(), Encoders.row(predictions.schema()));
    List<String> partitions = new ArrayList<>(List.of("split"));
    if (config.incremental()) {
      partitions.add(config.batchColumn());
    }
    long start = System.nanoTime();
    try {
      SparkPhases.run(spark, "predict: " + count + " rows with " + config.model() + " into "
          + out.path(), () -> out.write("predictions table", () -> predicted.write()
              .mode(append ? "append" : "overwrite")
              .partitionBy(partitions.toArray(String[]::new))
              .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
              .parquet(out.path().toString())));
    } finally {
      shipped.destroy();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    LOG.info(String.format(Locale.ROOT, "predicted %d rows in %.1f s (%.0f rows/s)", count,
        seconds, count / seconds));
  }

  /** Counts the written rows per split and checks every input row was written once. */
  private PredictionsManifest.Rows countWritten(SparkSession spark, OutputDirectory out,
      long input) {
    Map<String, Long> bySplit = ScoredTables.rowsBy("split",
        spark.read().parquet(out.path().toString()));
    long written = bySplit.values().stream().mapToLong(Long::longValue).sum();
    if (written != input) {
      throw new DistillException("row accounting failed for " + out.path() + ": read " + input
          + " rows but wrote " + written);
    }
    return new PredictionsManifest.Rows(input, written, bySplit);
  }

  private PredictionsManifest complete(OutputDirectory out, Inputs inputs, String engine,
      String started, PredictionsManifest.Rows rows, List<String> batches) {
    PredictionsManifest manifest = new PredictionsManifest(PredictionsManifest.SCHEMA_VERSION,
        PredictionsManifest.KIND, ProjectVersion.get(), started, Instant.now().toString(),
        config.input(), inputs.examplesDigest(), config.model(), inputs.model().sha256(), engine,
        inputs.shape().classNames(), Math.min(config.topK(), inputs.shape().classCount()),
        config.passthrough(), rows, batches, config.configDigest());
    out.markComplete(manifest);
    LOG.info("predictions table complete at {}: {} rows ({})", out.path(), rows.written(),
        rows.bySplit());
    return manifest;
  }
}
