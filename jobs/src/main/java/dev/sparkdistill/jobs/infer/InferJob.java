package dev.sparkdistill.jobs.infer;

import static org.apache.spark.sql.functions.col;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.Settings;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.OutputDirectory;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code infer} job: scores an examples table with one or more teachers into the targets
 * table of the data contract, once, so students can be trained on it many times.
 *
 * <p>Operational facts: each teacher file is read and checked on the driver, then broadcast;
 * every executor JVM deserializes each teacher once, and every task thread scores with its own
 * copy, in batches of {@code infer.batch-size}. No row comes to the driver. With
 * {@code min-confidence} the scored rows are persisted (memory and disk) so the kept and the
 * filtered rows are written from one scoring pass.
 */
public final class InferJob {
  private static final Logger LOG = LoggerFactory.getLogger(InferJob.class);
  static final String FILTERED = "_filtered";

  private final InferConfig config;

  public InferJob(InferConfig config) {
    this.config = config;
  }

  public TargetsManifest run(SparkSession spark) {
    String started = Instant.now().toString();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    OutputDirectory examplesDir = new OutputDirectory(config.input(), conf);
    if (!examplesDir.isComplete()) {
      throw new DistillException("infer.input = " + config.input() + " is not a complete "
          + "examples table (no _manifest.json and _SUCCESS); run prepare first");
    }
    String manifestText = HadoopFiles.readText(
        examplesDir.child(OutputDirectory.MANIFEST).toString(), conf);
    TableShape shape = ManifestJson.read(manifestText, TableShape.class, config.input());
    String examplesDigest = ConfigRendering.sha256(manifestText);
    List<Teacher> teachers = config.teachers().stream()
        .map(path -> Teacher.load(path, shape, conf)).toList();
    List<TargetsManifest.Teacher> described = teachers.stream()
        .map(t -> new TargetsManifest.Teacher(t.path(), t.sha256(), t.parameterCount())).toList();

    OutputDirectory out = new OutputDirectory(config.output(), conf);
    Optional<TargetsManifest> done = out.prepareForWrite(config.mode(), TargetsManifest.class,
        previous -> previous.configDigest().equals(config.configDigest())
            && previous.examplesManifestDigest().equals(examplesDigest)
            && previous.teachers().equals(described),
        name -> name.startsWith("split=") || name.equals("_temporary") || name.equals(FILTERED),
        "targets table", false);
    if (done.isPresent()) {
      LOG.info("{} is already complete for these examples, teachers and config; nothing to do",
          out.path());
      return done.get();
    }

    Dataset<Row> examples = spark.read().parquet(config.input())
        .select("id", "features", "label", "split");
    if (!config.splits().isEmpty()) {
      examples = examples.filter(col("split").isin(
          config.splits().stream().map(Split::value).toArray()));
    }
    long input = examples.count();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<List<Teacher>> shipped = jsc.broadcast(teachers);
    Scoring scoring = new Scoring(shipped, config, shape.featureCount());
    Dataset<Row> scored = examples.as(Encoders.bean(ExampleRecord.class))
        .mapPartitions((MapPartitionsFunction<ExampleRecord, TargetRecord>) scoring::score,
            Encoders.bean(TargetRecord.class))
        .select(scoring.columns().toArray(Column[]::new));
    long startNanos = System.nanoTime();
    try {
      write(spark, scored, out, input, teachers.size());
    } finally {
      shipped.destroy();
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    TargetsManifest.Rows rows = countWritten(spark, out, input);
    LOG.info(String.format(Locale.ROOT, "scored %d rows with %d teacher(s) in %.1f s (%.0f rows/s);"
        + " %d kept, %d filtered", input, teachers.size(), seconds, input / seconds,
        rows.scored(), rows.filtered()));
    TargetsManifest manifest = new TargetsManifest(TargetsManifest.SCHEMA_VERSION,
        TargetsManifest.KIND, ProjectVersion.get(), started, Instant.now().toString(),
        shape.featureShape(), shape.featureCount(), shape.classCount(), shape.classNames(),
        config.input(), examplesDigest, described, Settings.spelling(config.ensemble()),
        Settings.spelling(config.form()), config.form() == InferConfig.Form.TOP_K
            ? config.topK() : shape.classCount(), config.includeFeatures(), rows,
        config.configDigest());
    out.markComplete(manifest);
    LOG.info("targets table complete at {}", out.path());
    return manifest;
  }

  private void write(SparkSession spark, Dataset<Row> scored, OutputDirectory out, long input,
      int teacherCount) {
    String description = "infer: scoring " + input + " rows with " + teacherCount
        + " teacher(s) into " + out.path();
    if (config.minConfidence() <= 0) {
      SparkPhases.run(spark, description, () -> writeTargets(
          scored.drop(Scoring.FILTER_REASON), out.path().toString()));
      return;
    }
    Dataset<Row> persisted = scored.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      SparkPhases.run(spark, description, () -> writeTargets(persisted
          .filter(col(Scoring.FILTER_REASON).isNull()).drop(Scoring.FILTER_REASON),
          out.path().toString()));
      SparkPhases.run(spark, "infer: writing filtered rows to " + out.child(FILTERED),
          () -> persisted.filter(col(Scoring.FILTER_REASON).isNotNull()).write()
              .mode("overwrite").parquet(out.child(FILTERED).toString()));
    } finally {
      persisted.unpersist();
    }
  }

  private static void writeTargets(Dataset<Row> rows, String path) {
    rows.write().mode("overwrite").partitionBy("split")
        .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false").parquet(path);
  }

  /** Counts the written rows and checks input = scored + filtered. */
  private TargetsManifest.Rows countWritten(SparkSession spark, OutputDirectory out,
      long input) {
    Map<String, Long> bySplit = new TreeMap<>();
    spark.read().parquet(out.path().toString()).groupBy("split").count().collectAsList()
        .forEach(r -> bySplit.put(r.getString(0), r.getLong(1)));
    long scored = bySplit.values().stream().mapToLong(Long::longValue).sum();
    long filtered = config.minConfidence() > 0 && HadoopFiles.exists(out.child(FILTERED), spark
        .sparkContext().hadoopConfiguration())
        ? spark.read().parquet(out.child(FILTERED).toString()).count() : 0;
    if (scored + filtered != input) {
      throw new DistillException("row accounting failed for " + out.path() + ": read " + input
          + " rows but wrote " + scored + " and filtered " + filtered);
    }
    return new TargetsManifest.Rows(input, scored, filtered, bySplit);
  }
}
