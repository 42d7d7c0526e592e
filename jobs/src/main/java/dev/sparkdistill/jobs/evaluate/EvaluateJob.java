package dev.sparkdistill.jobs.evaluate;

import static dev.sparkdistill.jobs.io.ArrayColumns.floats;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.config.ModelInput;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.evaluate.BatchTally;
import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import dev.sparkdistill.common.evaluate.ModelMetrics;
import dev.sparkdistill.common.evaluate.ReportHtml;
import dev.sparkdistill.common.evaluate.TrainingHistory;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.manifest.TrainingLogEntry;
import dev.sparkdistill.jobs.OutputJob;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.FeatureRows;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.io.ScoredTables;
import dev.sparkdistill.jobs.model.ScoringEngines;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code evaluate} job: every model (the teacher first) on one split of a table, compared in
 * one {@code report.json} and a self-contained {@code report.html}.
 *
 * <p>Operational facts: the models are broadcast and scored together in one pass over the split;
 * each partition returns one set of sums per model to the driver. Throughput and single-row
 * latency are measured on the driver, on the same rows and machine for every model, in this run,
 * each model on the engine that scores it ({@code evaluate.engine}, as {@code infer.engine}).
 */
public final class EvaluateJob
    extends OutputJob<EvaluateJob.Inputs, EvaluateJob.EvaluationManifest> {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);
  public static final String REPORT_JSON = "report.json";
  static final String REPORT_HTML = "report.html";
  /** Rows of the split a DL4J model's ONNX export is checked on. */
  static final int PARITY_SAMPLE_ROWS = 256;

  private final EvaluateConfig config;

  public EvaluateJob(EvaluateConfig config) {
    this.config = config;
  }

  /** The output's completion manifest: what the report was made from. */
  public record EvaluationManifest(String kind, String input, String inputManifestDigest,
      Map<String, String> modelDigests, String configDigest, String createdAt) {}

  /** The input table and the models, loaded and checked before the output is claimed. */
  record Inputs(InputTable input, List<String> names, List<ShippedModel> models,
      Map<String, String> digests) {}

  /** Runs the job and returns its report: this run's, or the earlier same run's. */
  public EvaluationReport evaluate(SparkSession spark) {
    run(spark);
    Path report = new Path(config.output(), REPORT_JSON);
    return ManifestJson.read(HadoopFiles.readText(report.toString(),
        spark.sparkContext().hadoopConfiguration()), EvaluationReport.class, report.toString());
  }

  @Override
  protected Output<EvaluationManifest> output() {
    return new Output<>("evaluate", config.output(), config.mode(), EvaluationManifest.class,
        "evaluation report", name -> name.equals(REPORT_JSON) || name.equals(REPORT_HTML));
  }

  @Override
  protected boolean sameRun(EvaluationManifest previous, Inputs inputs) {
    return previous.configDigest().equals(config.configDigest())
        && previous.inputManifestDigest().equals(inputs.input().digest())
        && previous.modelDigests().equals(inputs.digests());
  }

  @Override
  protected String describe(EvaluationManifest manifest) {
    return REPORT_HTML;
  }

  @Override
  protected Inputs readInputs(SparkSession spark) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    InputTable input = InputTable.complete(config.input(), "evaluate.input",
        "examples or targets table", "run prepare first", conf);
    TableShape shape = input.shape();
    List<String> names = new ArrayList<>(config.allModels().keySet());
    List<ShippedModel> models = new ArrayList<>();
    Map<String, String> digests = new java.util.LinkedHashMap<>();
    FeatureScaling stored = storedScaling(input, conf);
    config.allModels().forEach((name, path) -> {
      ShippedModel model = ShippedModel.load(path, shape, conf, "model " + name + " =",
          name.equals(EvaluateConfig.TEACHER) ? ModelInput.of(config.teacherInputs(), path)
              : ModelInput.asStored(path), stored);
      models.add(model);
      digests.put(name, model.sha256());
    });
    return new Inputs(input, names, models, digests);
  }

  /**
   * The scaling prepare recorded for the rows, which a teacher fed its own normalization ({@code
   * evaluate.teacher-inputs}) needs undone; a targets table's are its examples'.
   */
  private FeatureScaling storedScaling(InputTable input, Configuration conf) {
    if (config.teacherInputs().isEmpty()) {
      return null;
    }
    if (TargetsManifest.KIND.equals(input.shape().kind())) {
      String examples = input.manifest(TargetsManifest.class).examples();
      return InputTable.complete(examples, "the examples of evaluate.input", "examples table",
          "evaluate.teacher-inputs undoes their scaling; run prepare again", conf)
          .manifest(ExamplesManifest.class).scaling();
    }
    return input.manifest(ExamplesManifest.class).scaling();
  }

  @Override
  protected Written<EvaluationManifest> write(Run run, Inputs inputs) {
    SparkSession spark = run.spark();
    OutputDirectory out = run.out();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    InputTable input = inputs.input();
    List<String> names = inputs.names();
    List<ShippedModel> models = inputs.models();
    TableShape shape = input.shape();
    Dataset<Row> table = FeatureRows.of(spark, input, spark.read().parquet(config.input()),
        "evaluate.input");
    List<float[]> sample = table
        .filter(col("split").equalTo(config.split().value())).select("features")
        .takeAsList(config.batchSize()).stream().map(r -> floats(r.getList(0))).toList();
    List<ScoringEngines.Choice> engines = chooseEngines(models, shape, sample);
    List<ShippedModel> scorers = engines.stream().map(ScoringEngines.Choice::model).toList();
    Scores scores = SparkPhases.run(spark, "evaluate: scoring the "
        + config.split().value() + " split with " + names, () -> score(spark, table, shape, scorers));
    ModelMetrics[] metrics = scores.metrics();
    if (metrics[0].rows() == 0) {
      throw new DistillException("evaluate.input = " + config.input() + " has no labeled rows "
          + "in its " + config.split().value() + " split");
    }
    List<ModelReport> reports = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      reports.add(report(names.get(m), models.get(m), engines.get(m), metrics[m], sample,
          reports, conf));
    }
    EvaluationReport report = new EvaluationReport(config.input(), config.split().value(),
        metrics[0].rows(), shape.classNames(), metrics[0].topK(), config.calibrationBins(),
        Instant.now().toString(), reports, scores.byBatch() == null ? null
            : scores.byBatch().reports(names, !config.teacher().isEmpty()));
    HadoopFiles.writeText(out.child(REPORT_JSON), ManifestJson.write(report), conf);
    HadoopFiles.writeText(out.child(REPORT_HTML), ReportHtml.render(report), conf);
    reports.forEach(r -> LOG.info(String.format(Locale.ROOT, "%-12s accuracy %.4f, ECE %.4f, "
            + "agreement %s, %d parameters, %.0f rows/s", r.name(), r.accuracy(), r.ece(),
        r.teacherAgreement(), r.parameters(), r.throughputRowsPerSecond())));
    if (report.batches() != null) {
      report.batches().forEach(b -> LOG.info("batch {}: {} rows, accuracy {}, agreement {}",
          b.batch(), b.rows(), b.accuracy(), b.teacherAgreement()));
    }
    return Written.complete(new EvaluationManifest("evaluation", config.input(), input.digest(),
        inputs.digests(), config.configDigest(), report.createdAt()));
  }

  /** Every model's metrics, and per batch when evaluate.batch-column is set (else null). */
  private record Scores(ModelMetrics[] metrics, BatchTally byBatch) implements Serializable {
    void merge(Scores other) {
      for (int m = 0; m < metrics.length; m++) {
        metrics[m].merge(other.metrics[m]);
      }
      if (byBatch != null) {
        byBatch.merge(other.byBatch);
      }
    }
  }

  /** @param table the input's rows with their features */
  private Scores score(SparkSession spark, Dataset<Row> table, TableShape shape,
      List<ShippedModel> models) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<List<ShippedModel>> shipped = jsc.broadcast(models);
    boolean withTeacher = !config.teacher().isEmpty();
    int classes = shape.classCount();
    int topK = config.topK();
    int bins = config.calibrationBins();
    int batchSize = config.batchSize();
    boolean byBatch = !config.batchColumn().isEmpty();
    if (byBatch) {
      ScoredTables.requireBatchColumn(table, "evaluate.batch-column", config.batchColumn(),
          config.input());
    }
    Column batch = byBatch ? coalesce(col(config.batchColumn()).cast("string"), lit("(none)"))
        : lit(null).cast("string");
    try {
      List<Scores> parts = table
          .filter(col("split").equalTo(config.split().value()).and(col("label").isNotNull()))
          .select(col("features"), col("label"), batch).javaRDD()
          .mapPartitions(rows -> java.util.Collections.singletonList(
              scorePartition(rows, shipped.value(), withTeacher, classes, topK, bins, batchSize,
                  byBatch)).iterator())
          .collect();
      Scores total = emptyScores(models.size(), classes, topK, bins, byBatch);
      parts.forEach(total::merge);
      return total;
    } finally {
      shipped.destroy();
    }
  }

  private static Scores emptyScores(int count, int classes, int topK, int bins,
      boolean byBatch) {
    ModelMetrics[] metrics = new ModelMetrics[count];
    for (int m = 0; m < count; m++) {
      metrics[m] = new ModelMetrics(classes, topK, bins);
    }
    return new Scores(metrics, byBatch ? new BatchTally(count) : null);
  }

  private static Scores scorePartition(Iterator<Row> rows, List<ShippedModel> models,
      boolean withTeacher, int classes, int topK, int bins, int batchSize, boolean byBatch) {
    Scores scores = emptyScores(models.size(), classes, topK, bins, byBatch);
    ModelMetrics[] metrics = scores.metrics();
    while (rows.hasNext()) {
      List<float[]> features = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      List<String> batches = new ArrayList<>();
      while (rows.hasNext() && features.size() < batchSize) {
        Row row = rows.next();
        features.add(floats(row.getList(0)));
        labels.add(row.getInt(1));
        batches.add(row.getString(2));
      }
      float[] flat = Teacher.batchOf(features);
      float[][][] logits = new float[models.size()][][];
      for (int m = 0; m < models.size(); m++) {
        logits[m] = models.get(m).teacher().logits(flat, features.size());
      }
      int[] predicted = new int[models.size()];
      for (int i = 0; i < labels.size(); i++) {
        for (int m = 0; m < models.size(); m++) {
          metrics[m].add(logits[m][i], labels.get(i), withTeacher ? logits[0][i] : null);
          predicted[m] = topClass(logits[m][i]);
        }
        if (byBatch) {
          scores.byBatch().add(batches.get(i), predicted, labels.get(i),
              withTeacher ? predicted[0] : -1);
        }
      }
    }
    return scores;
  }

  /** Each model on the engine evaluate.engine and the parity check on the sample choose. */
  private List<ScoringEngines.Choice> chooseEngines(List<ShippedModel> models, TableShape shape,
      List<float[]> sample) {
    if (sample.isEmpty()) {
      return models.stream().map(m -> new ScoringEngines.Choice(m, m.isOnnx()
          ? ScoringEngines.ONNX_RUNTIME : ScoringEngines.ND4J)).toList();
    }
    List<float[]> checked = sample.subList(0, Math.min(sample.size(), PARITY_SAMPLE_ROWS));
    float[] rows = Teacher.batchOf(checked);
    return models.stream().map(m -> ScoringEngines.choose(m, shape, config.engine(), rows,
        checked.size(), "evaluate.engine", "model")).toList();
  }

  /**
   * @param model the model file as given, for its size and parameters
   * @param engine what scores it, for the speed figures
   */
  private ModelReport report(String name, ShippedModel model, ScoringEngines.Choice engine,
      ModelMetrics metrics, List<float[]> sample, List<ModelReport> earlier, Configuration conf) {
    Teacher scorer = engine.model().teacher();
    double throughput = throughput(scorer, sample);
    double latency = latencyMillis(scorer, sample.get(0));
    ModelReport teacher = earlier.isEmpty() || config.teacher().isEmpty() ? null : earlier.get(0);
    return new ModelReport(name, config.allModels().get(name), model.parameterCount(),
        model.fileSize(), metrics.accuracy(), metrics.topKAccuracy(), metrics.nll(),
        metrics.expectedCalibrationError(), orNull(metrics.teacherAgreement()),
        orNull(metrics.meanKlFromTeacher()), throughput, latency, engine.engine(),
        teacher == null ? null : (double) model.parameterCount() / teacher.parameters(),
        teacher == null ? null : throughput / teacher.throughputRowsPerSecond(),
        metrics.perClassAccuracy(), metrics.confusion(), metrics.reliability(),
        trainingHistory(config.allModels().get(name), conf));
  }

  /**
   * The training log and best epoch beside a model that {@code train} wrote (its directory's
   * manifest names this file); null for any other model, such as an ONNX export.
   */
  private static TrainingHistory trainingHistory(String modelPath, Configuration conf) {
    Path file = new Path(modelPath);
    Path manifestPath = new Path(file.getParent(), OutputDirectory.MANIFEST);
    Path logPath = new Path(file.getParent(), TrainingLogEntry.FILE);
    if (!HadoopFiles.exists(manifestPath, conf) || !HadoopFiles.exists(logPath, conf)) {
      return null;
    }
    ModelManifest manifest = ManifestJson.read(HadoopFiles.readText(manifestPath.toString(),
        conf), ModelManifest.class, manifestPath.toString());
    if (!ModelManifest.KIND.equals(manifest.kind())
        || !file.getName().equals(manifest.modelFile())) {
      return null;
    }
    TrainingLogEntry[] epochs = ManifestJson.read(HadoopFiles.readText(logPath.toString(), conf),
        TrainingLogEntry[].class, logPath.toString());
    return new TrainingHistory(manifest.bestEpoch(), List.of(epochs));
  }

  /**
   * Rows per second over repeated batch calls for at least one second, after a quarter of a
   * second of the same calls: ONNX Runtime's first runs of a session are slower (measured: two
   * identical MLPs timed right after their first call came out 8.1x and 13.5x a CNN's rows/s).
   */
  private static double throughput(Teacher scorer, List<float[]> sample) {
    float[] batch = Teacher.batchOf(sample);
    long warmUp = System.nanoTime();
    do {
      scorer.logits(batch, sample.size());
    } while (System.nanoTime() - warmUp < 250_000_000L);
    long rows = 0;
    long start = System.nanoTime();
    do {
      scorer.logits(batch, sample.size());
      rows += sample.size();
    } while (System.nanoTime() - start < 1_000_000_000L);
    return rows / ((System.nanoTime() - start) / 1e9);
  }

  /** Median milliseconds of 101 single-row calls. */
  private static double latencyMillis(Teacher scorer, float[] row) {
    double[] times = new double[101];
    for (int i = -10; i < times.length; i++) {
      long start = System.nanoTime();
      scorer.logits(row, 1);
      if (i >= 0) {
        times[i] = (System.nanoTime() - start) / 1e6;
      }
    }
    Arrays.sort(times);
    return times[times.length / 2];
  }

  private static int topClass(float[] logits) {
    int best = 0;
    for (int c = 1; c < logits.length; c++) {
      best = logits[c] > logits[best] ? c : best;
    }
    return best;
  }

  private static Double orNull(double value) {
    return Double.isNaN(value) ? null : value;
  }
}
