package dev.sparkdistill.jobs.bench;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.jobs.infer.InferJob;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.model.ScoringEngines;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;

/**
 * Measures in one run: the infer job's rows/s (Parquet read and write included), as configured
 * by default and with the features copied into the targets, against a bare loop scoring the
 * same rows already in memory with the same teacher, the same engine (ONNX Runtime or ND4J, as
 * the job chooses) and the same number of threads, and against a bare ND4J loop when the job
 * uses ONNX Runtime; and the bytes per row of the targets table, dense against top-k, for the
 * teacher's classes and for a synthetic 1,000-class teacher. A benchmark: it collects the
 * features to the driver for the bare loop and writes its tables under {@code work}.
 */
public final class InferBenchmark {
  static final int WARM_UP_JOBS = 8;
  private final InferConfig config;
  private final String work;
  private final PrintWriter out;

  public InferBenchmark(InferConfig config, String work, PrintWriter out) {
    this.config = config;
    this.work = work;
    this.out = out;
  }

  public void run(SparkSession spark, int repeats, int topK1000) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    TableShape shape = Benchmarks.shape(config.input(), conf);
    int threads = spark.sparkContext().defaultParallelism();
    float[][] features = Benchmarks.features(spark.read().parquet(config.input()));
    ShippedModel teacher = ShippedModel.load(config.teachers().get(0), shape, conf, "teacher");
    out.printf(Locale.ROOT, "%d rows x %d features, teacher %s (%d parameters), batch %d, "
        + "%d threads%n", features.length, shape.featureCount(), teacher.path(),
        teacher.parameterCount(), config.batchSize(), threads);
    // The job's engine, chosen as the job chooses it; the loop of that engine is the bar.
    int sampleRows = Math.min(InferJob.PARITY_SAMPLE_ROWS, features.length);
    ScoringEngines.Choice choice = ScoringEngines.choose(teacher, shape, config.engine(),
        Teacher.batchOf(java.util.Arrays.asList(features).subList(0, sampleRows)), sampleRows);
    boolean onnx = choice.engine().equals(ScoringEngines.ONNX_RUNTIME);
    String loopName = onnx ? "ONNX Runtime" : "ND4J";
    out.printf(Locale.ROOT, "the job scores this teacher with %s%n", loopName);
    warmUp(spark, choice.model(), features, threads);

    List<Double> ratios = new ArrayList<>();
    List<Double> copiedRatios = new ArrayList<>();
    List<Double> nd4jRatios = new ArrayList<>();
    List<Double> cpuRatios = new ArrayList<>();
    for (int run = 1; run <= repeats; run++) {
      collectGarbage();
      double nd4j = onnx ? bareLoop(teacher, features, threads) : Double.NaN;
      collectGarbage();
      long cpu = processCpuNanos();
      double bare = bareLoop(choice.model(), features, threads);
      long bareCpu = processCpuNanos() - cpu;
      collectGarbage();
      cpu = processCpuNanos();
      double job = timed(spark, with(config, "infer.output=" + work + "/dense-" + run,
          "infer.mode=overwrite", "infer.form=dense", "infer.include-features=false"))
          .rowsPerSecond();
      long jobCpu = processCpuNanos() - cpu;
      collectGarbage();
      double copied = timed(spark, with(config, "infer.output=" + work + "/features-" + run,
          "infer.mode=overwrite", "infer.form=dense", "infer.include-features=true"))
          .rowsPerSecond();
      ratios.add(job / bare);
      copiedRatios.add(copied / bare);
      cpuRatios.add((double) bareCpu / jobCpu);
      out.printf(Locale.ROOT, "run %d: bare %s loop %.0f rows/s; infer job %.0f rows/s, ratio "
          + "%.2f (JVM CPU per row: bare %.3f ms, job %.3f ms); with the features copied "
          + "%.0f rows/s, ratio %.2f%n", run, loopName, bare, job, job / bare,
          bareCpu / 1e6 / features.length, jobCpu / 1e6 / features.length, copied,
          copied / bare);
      if (onnx) {
        nd4jRatios.add(job / nd4j);
        out.printf(Locale.ROOT, "       bare ND4J loop %.0f rows/s: the job scores %.1fx its "
            + "rows/s%n", nd4j, job / nd4j);
      }
      out.flush();
    }
    out.printf(Locale.ROOT, "median ratio infer job / bare %s loop: %.2f (CPU per row, bare / "
        + "job: %.2f); with the features copied: %.2f%s%n%n", loopName,
        Benchmarks.median(ratios), Benchmarks.median(cpuRatios), Benchmarks.median(copiedRatios),
        onnx ? String.format(Locale.ROOT, "; infer job / bare ND4J loop: %.1f",
            Benchmarks.median(nd4jRatios)) : "");

    bytesPerRow(spark, config, shape.classCount(), Math.min(config.topK(), shape.classCount()));
    String synthetic = syntheticTeacher(shape, conf);
    InferConfig wide = with(config, "infer.teachers=[\"" + synthetic + "\"]",
        "infer.input=" + thousandClassExamples(spark, shape));
    bytesPerRow(spark, wide, 1000, topK1000);
    out.flush();
  }

  /**
   * A full collection before each timed run, so that neither side pays for garbage the other
   * left: the loop allocates too little to trigger a collection, so its batches and ND4J
   * buffers (freed only once a collection finds them) were otherwise collected, and their native
   * memory released, during the job timed next.
   */
  private static void collectGarbage() {
    System.gc();
  }

  /**
   * CPU time of this whole JVM (every thread: tasks, driver, GC, JIT). On a shared machine the
   * rows/s ratio also measures what the neighbours took; the CPU per row does not.
   */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Untimed rounds on the test split first, so the runs compare steady states: {@link
   * #WARM_UP_JOBS} of the job, then one of the loop. Over its first runs in a JVM the job still
   * JIT-compiles code that runs once per job, task or row group (measured here: a 10,000-row job
   * went from about 1,100 to 1,750 rows/s over its first seven runs); a long job pays that once.
   */
  private void warmUp(SparkSession spark, ShippedModel teacher, float[][] features,
      int threads) {
    if (spark.read().parquet(config.input()).filter("split = 'test'").isEmpty()) {
      out.printf(Locale.ROOT, "warm-up skipped: %s has no test split%n", config.input());
      return;
    }
    InferConfig testSplit = with(config, "infer.splits=[test]",
        "infer.output=" + work + "/warm-up", "infer.mode=overwrite");
    long rows = 0;
    List<String> rates = new ArrayList<>();
    for (int round = 0; round < WARM_UP_JOBS; round++) {
      Timed job = timed(spark, testSplit);
      rows = job.rows();
      rates.add(String.format(Locale.ROOT, "%.0f", job.rowsPerSecond()));
    }
    float[][] some = java.util.Arrays.copyOf(features, (int) Math.min(Math.max(rows, 1),
        features.length));
    Benchmarks.scoreInMemory(teacher, some, config.batchSize(), threads);
    out.printf(Locale.ROOT, "warm-up, untimed: %d jobs of %d rows (%s rows/s), then the loop "
        + "once%n", WARM_UP_JOBS, rows, String.join(", ", rates));
  }

  private double bareLoop(ShippedModel teacher, float[][] features, int threads) {
    long start = System.nanoTime();
    Benchmarks.scoreInMemory(teacher, features, config.batchSize(), threads);
    return features.length / ((System.nanoTime() - start) / 1e9);
  }

  /** The rows an infer run scored and how fast, its whole run timed. */
  private record Timed(long rows, double seconds) {
    double rowsPerSecond() {
      return rows / seconds;
    }
  }

  private static Timed timed(SparkSession spark, InferConfig run) {
    long start = System.nanoTime();
    long rows = new InferJob(run).run(spark).rows().scored();
    return new Timed(rows, (System.nanoTime() - start) / 1e9);
  }

  private void bytesPerRow(SparkSession spark, InferConfig base, int classes, int k) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    long[] bytes = new long[2];
    long rows = 0;
    for (InferConfig.Form form : InferConfig.Form.values()) {
      String name = "bytes-" + classes + "-" + form.name().toLowerCase(Locale.ROOT);
      InferConfig run = with(base, "infer.output=" + work + "/" + name, "infer.mode=overwrite",
          "infer.form=" + (form == InferConfig.Form.DENSE ? "dense" : "top-k"),
          "infer.top-k=" + k, "infer.include-features=false");
      rows = timed(spark, run).rows();
      bytes[form.ordinal()] = HadoopFiles.totalBytes(work + "/" + name, conf);
    }
    out.printf(Locale.ROOT, "%d classes, targets only: dense %.1f bytes/row, top-%d %.1f "
        + "bytes/row (%.1fx smaller)%n", classes, (double) bytes[0] / rows, k,
        (double) bytes[1] / rows, (double) bytes[0] / bytes[1]);
  }

  /** The test split's rows as an unlabeled examples table that declares 1,000 classes. */
  private String thousandClassExamples(SparkSession spark, TableShape shape) {
    String table = work + "/examples-1000-classes";
    spark.read().parquet(config.input()).filter("split = 'test'")
        .selectExpr("id", "features", "CAST(NULL AS INT) AS label", "split")
        .write().mode("overwrite").partitionBy("split").parquet(table);
    List<String> names = java.util.stream.IntStream.range(0, 1000).mapToObj(Integer::toString)
        .toList();
    new OutputDirectory(table, spark.sparkContext().hadoopConfiguration()).markComplete(
        new TableShape("examples", shape.featureShape(), shape.featureCount(), 1000, names));
    return table;
  }

  /** A random-weight MLP with 1,000 outputs over the same features, saved under work. */
  private String syntheticTeacher(TableShape shape, Configuration conf) {
    ModelSpec spec = new ModelSpec(ModelSpec.Kind.MLP, List.of(64), Activation.RELU, 0,
        WeightInit.RELU, List.of(), 3, 2, "");
    MultiLayerNetwork network = ModelFactory.create(spec, List.of(shape.featureCount()), 1000,
        new DistillationLoss(0, 1), new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.1, 1),
        7);
    Path file = new Path(work + "/teacher-1000-classes.zip");
    try (OutputStream stream = HadoopFiles.fs(file, conf).create(file, true)) {
      ModelSerializer.writeModel(network, stream, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file.toString();
  }

  private static InferConfig with(InferConfig base, String... settings) {
    List<String> all = new ArrayList<>(List.of("infer.input=" + base.input(),
        "infer.output=" + base.output(), "infer.batch-size=" + base.batchSize(),
        "infer.teachers=" + base.teachers().stream().map(t -> "\"" + t + "\"").toList()));
    all.addAll(List.of(settings));
    return InferConfig.from(ConfigLayers.resolve(Optional.empty(), "", all));
  }
}
