package dev.sparkdistill.jobs.predict;

import static org.apache.spark.sql.functions.col;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.PredictConfig;
import dev.sparkdistill.common.manifest.PredictionsManifest;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.jobs.ScoringJob;
import dev.sparkdistill.jobs.SessionDefaults;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.ArrayColumns;
import dev.sparkdistill.jobs.io.ExampleBatches;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.io.ScoredTables;
import dev.sparkdistill.jobs.io.ScoringSelection;
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
public final class PredictJob extends ScoringJob<PredictJob.Inputs, PredictionsManifest> {
  private static final Logger LOG = LoggerFactory.getLogger(PredictJob.class);
  static final int PARITY_SAMPLE_ROWS = 256;

  private final PredictConfig config;

  public PredictJob(PredictConfig config) {
    this.config = config;
  }

  /** What a run predicts from: the examples' shape and digest, the model, the selected rows. */
  record Inputs(TableShape shape, String examplesDigest, ShippedModel model,
      Dataset<Row> examples) {}

  @Override
  protected Output<PredictionsManifest> output() {
    return new Output<>("predict", config.output(), config.mode(), PredictionsManifest.class,
        "predictions table", PredictJob::isOwnLeftover);
  }

  @Override
  protected boolean sameRun(PredictionsManifest previous, Inputs inputs) {
    return sameScoring(previous, inputs)
        && previous.examplesManifestDigest().equals(inputs.examplesDigest());
  }

  @Override
  protected boolean continues(Inputs inputs) {
    return config.incremental();
  }

  @Override
  protected String describe(PredictionsManifest manifest) {
    return manifest.rows().written() + " rows (" + manifest.rows().bySplit() + ")";
  }

  @Override
  protected Inputs readInputs(SparkSession spark) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
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

  @Override
  protected Rows<PredictionsManifest> rows(Run run, Inputs inputs) {
    return new Rows<>(inputs.examples(),
        ScoredTables.splitBytes(config.input(), config.splits(), run.out().conf()),
        config.incremental() ? new ScoringSelection.Batches<>("predict.batch-column",
            config.input(), config.batchColumn(), "predicted",
            previous -> sameScoring(previous, inputs), PredictionsManifest::batches,
            "predictions of another model or config", List.of(run.out().path())) : null,
        () -> ScoringSelection.nothingSelected(run.spark(), "predict", config.input(),
            config.splits(), "predict"));
  }

  @Override
  protected Written<PredictionsManifest> score(Run run, Inputs inputs, ScoringSelection rows) {
    SparkSession spark = run.spark();
    ScoringEngines.Choice engine = chooseEngine(inputs, rows.rows());
    List<SessionDefaults.Setting> settings = new ArrayList<>(rows.readerSettings(
        spark.sparkContext().defaultParallelism(), config.batchSize()));
    settings.add(ScoredTables.writeAsScored());
    SessionDefaults.with(spark, settings,
        () -> predictAndWrite(spark, inputs, engine.model(), rows, run.out()));
    return Written.complete(manifest(inputs, engine.engine(), run.started(),
        countWritten(spark, run.out(), rows.rowsAfter()), rows.batchesAfter()));
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

  private boolean sameScoring(PredictionsManifest previous, Inputs inputs) {
    return previous.configDigest().equals(config.configDigest())
        && previous.modelSha256().equals(inputs.model().sha256());
  }

  private static boolean isOwnLeftover(String name) {
    return name.startsWith("split=") || name.equals("_temporary")
        || name.equals(OutputDirectory.MANIFEST);
  }

  /** The model on the engine {@code predict.engine} and the parity check choose. */
  private ScoringEngines.Choice chooseEngine(Inputs inputs, Dataset<Row> rows) {
    List<float[]> sample = rows.select("features").limit(PARITY_SAMPLE_ROWS).collectAsList()
        .stream().map(r -> ArrayColumns.floats(r.<Float>getList(0)))
        .toList();
    return ScoringEngines.choose(inputs.model(), inputs.shape(), config.engine(),
        Teacher.batchOf(sample), sample.size(), "predict.engine", "model");
  }

  private void predictAndWrite(SparkSession spark, Inputs inputs, ShippedModel model,
      ScoringSelection selection, OutputDirectory out) {
    Dataset<Row> rows = selection.rows();
    long count = selection.count();
    boolean append = selection.append();
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

  private PredictionsManifest manifest(Inputs inputs, String engine, String started,
      PredictionsManifest.Rows rows, List<String> batches) {
    return new PredictionsManifest(PredictionsManifest.SCHEMA_VERSION,
        PredictionsManifest.KIND, ProjectVersion.get(), started, Instant.now().toString(),
        config.input(), inputs.examplesDigest(), config.model(), inputs.model().sha256(), engine,
        inputs.shape().classNames(), Math.min(config.topK(), inputs.shape().classCount()),
        config.passthrough(), rows, batches, config.configDigest());
  }
}
