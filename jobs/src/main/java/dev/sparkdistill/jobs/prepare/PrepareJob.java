package dev.sparkdistill.jobs.prepare;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.when;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.Settings;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.data.RejectReason;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.InputFingerprint;
import dev.sparkdistill.common.manifest.RowTally;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.targets.ScoringSplits;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.OutputClaim;
import dev.sparkdistill.jobs.io.OutputDirectory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code prepare} job: raw data (IDX, CSV, Parquet) to the examples table of the data
 * contract, with {@code _rejected}, {@code _manifest.json} and {@code _SUCCESS}.
 *
 * <p>Operational facts: parsed rows are persisted (memory and disk) for the checks and the two
 * writes. The driver receives only aggregates: counts per split, reason and label presence, and
 * one sampling threshold per class. Ids from a user column are checked for repeats with a
 * shuffle of the ids alone. Every input row is written or rejected; the job verifies that from
 * the written files before marking the output complete.
 */
public final class PrepareJob {
  private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);
  private static final String CODE = "code";

  private final PrepareConfig config;

  public PrepareJob(PrepareConfig config) {
    this.config = config;
  }

  public ExamplesManifest run(SparkSession spark) {
    String started = Instant.now().toString();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    OutputDirectory out = new OutputDirectory(config.output(), conf);
    ExamplesManifest.Source source = describeInputs(conf);
    try (OutputClaim claim = out.claim("prepare")) {
      return write(spark, out, source, started);
    }
  }

  private ExamplesManifest write(SparkSession spark, OutputDirectory out,
      ExamplesManifest.Source source, String started) {
    Optional<ExamplesManifest> done = existingOutput(out, source);
    if (done.isPresent()) {
      return done.get();
    }

    List<SourceRows> parts = readSplits(spark);
    List<Integer> shape = commonShape(parts);
    Dataset<Row> checked = checkIds(parts)
        .withColumn(CODE, expr("substring_index(reason, ':', 1)"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Row> groups = SparkPhases.run(spark, "prepare: parsing and checking input rows",
          () -> checked.groupBy(col(ParsedRows.SPLIT), col(CODE), col(ParsedRows.LABEL).isNull())
              .agg(count(lit(1)), max(col(ParsedRows.LABEL))).collectAsList());
      RowTally parsedTally = tally(groups);
      LOG.info("read {} rows: {} usable, {} rejected {}", parsedTally.input(),
          parsedTally.written(), parsedTally.rejected(), parsedTally.rejectedByReason());
      int classCount = classCount(groups);
      Dataset<Row> rejected = checked.filter(col(ParsedRows.REASON).isNotNull())
          .select(ParsedRows.ID, ParsedRows.SPLIT, ParsedRows.REASON, ParsedRows.RAW,
              ParsedRows.FEATURES, ParsedRows.LABEL);
      failOnTooManyRejected(spark, parsedTally, rejected, out);
      failOnNoUsableRows(spark, parsedTally, rejected, out);

      Dataset<Row> usable = checked.filter(col(ParsedRows.REASON).isNull())
          .select(ParsedRows.ID, ParsedRows.FEATURES, ParsedRows.LABEL, ParsedRows.SPLIT);
      Dataset<Row> unscaled = ExampleDatasets.keepLabels(config.carvesValidation()
          ? ExampleDatasets.carveValidation(usable, config.validationFraction(), config.seed())
          : usable, config.labeledFraction(), config.seed());
      FeatureScaling scaling = fitScaling(spark, unscaled,
          shape.stream().reduce(1, Math::multiplyExact));
      Dataset<Row> examples = ExampleDatasets.scale(unscaled, scaling);
      SparkPhases.run(spark, "prepare: writing " + parsedTally.written() + " examples to "
          + out.path(), () -> out.write("examples table", () -> examples.write()
              .mode("overwrite").partitionBy(ParsedRows.SPLIT)
              .option("maxRecordsPerFile", config.rowsPerFile())
              .option("parquet.block.size", ScoringSplits.ROW_GROUP_BYTES)
              .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
              .parquet(out.path().toString())));
      writeRejected(spark, rejected, out);
      RowTally written = countWritten(spark, out, parsedTally);
      ExamplesManifest manifest = new ExamplesManifest(ExamplesManifest.SCHEMA_VERSION,
          ExamplesManifest.KIND, ProjectVersion.get(), started, Instant.now().toString(), shape,
          shape.stream().reduce(1, Math::multiplyExact), classCount, classNames(classCount),
          scaling, source, written.toCounts(),
          new ExamplesManifest.SplitPolicy(config.carvesValidation(),
              config.carvesValidation() ? config.validationFraction() : 0,
              config.labeledFraction(), config.seed()),
          config.configDigest());
      out.markComplete(manifest);
      LOG.info("examples table complete at {}: {}", out.path(), manifest.rows().bySplit());
      return manifest;
    } finally {
      checked.unpersist();
    }
  }

  private ExamplesManifest.Source describeInputs(Configuration conf) {
    try {
      return listInputs(conf);
    } catch (DistillException e) {
      if (config.missingInputHint().isEmpty()) {
        throw e;
      }
      throw new DistillException(e.getMessage() + ". " + config.missingInputHint(), e);
    }
  }

  private ExamplesManifest.Source listInputs(Configuration conf) {
    List<InputFingerprint.FileFacts> facts = new ArrayList<>();
    Map<String, String> inputs = new TreeMap<>();
    config.inputs().forEach((split, path) -> {
      inputs.put(split.value(), path);
      facts.addAll(HadoopFiles.facts(
          HadoopFiles.dataFiles(path, "prepare.input." + split.value(), conf)));
    });
    config.idxLabels().forEach((split, path) -> {
      inputs.put(split.value() + "-labels", path);
      facts.addAll(HadoopFiles.facts(
          HadoopFiles.dataFiles(path, "prepare.idx." + split.value() + "-labels", conf)));
    });
    if (!config.scalingFrom().isEmpty()) {
      // The table whose scaling is applied is an input too: prepared again, it makes this
      // output stale, so its manifest counts in the fingerprint.
      InputTable.complete(config.scalingFrom(), "prepare.scaling.from", "examples table",
          "prepare the training data first", conf);
      inputs.put("scaling-from", config.scalingFrom());
      facts.addAll(HadoopFiles.facts(HadoopFiles.dataFiles(config.scalingFrom() + "/"
          + OutputDirectory.MANIFEST, "prepare.scaling.from", conf)));
    }
    return new ExamplesManifest.Source(Settings.spelling(config.format()), inputs, facts.size(),
        InputFingerprint.of(facts));
  }

  /**
   * The manifest of an output already complete for the same inputs and config (the run is then
   * skipped); otherwise clears the way for the write, or refuses.
   */
  private Optional<ExamplesManifest> existingOutput(OutputDirectory out,
      ExamplesManifest.Source source) {
    Optional<ExamplesManifest> done = out.prepareForWrite(config.mode(), ExamplesManifest.class,
        previous -> previous.configDigest().equals(config.configDigest())
            && previous.source().inputFingerprint().equals(source.inputFingerprint()),
        name -> name.startsWith(ParsedRows.SPLIT + "=") || name.equals("_temporary")
            || name.equals("_rejected"),
        "examples table", false);
    done.ifPresent(manifest -> LOG.info(
        "{} is already complete for these inputs and this config; nothing to do", out.path()));
    return done;
  }

  private List<SourceRows> readSplits(SparkSession spark) {
    ExampleSource source = switch (config.format()) {
      case IDX -> new IdxSource(config);
      case CSV -> new CsvSource(config);
      case PARQUET -> new ParquetSource(config);
    };
    OptionalInt classCount = config.classCount() > 0 ? OptionalInt.of(config.classCount())
        : OptionalInt.empty();
    List<SourceRows> parts = new ArrayList<>();
    for (Split split : Split.values()) {
      if (config.input(split).isPresent()) {
        parts.add(source.read(spark, split, classCount));
      }
    }
    return parts;
  }

  private List<Integer> commonShape(List<SourceRows> parts) {
    List<Integer> shape = config.featureShape().isEmpty() ? parts.get(0).featureShape()
        : config.featureShape();
    int count = shape.stream().reduce(1, Math::multiplyExact);
    for (SourceRows part : parts) {
      if (part.featureCount() != count) {
        throw new DistillException("inputs disagree on the feature count: expected " + count
            + " values per row (" + shape + ") but an input has " + part.featureCount()
            + " (" + part.featureShape() + ")");
      }
    }
    return shape;
  }

  /**
   * All rows of every split. Where ids come from a user column, every row whose id occurs more
   * than once is rejected: keeping one of them would be an arbitrary choice, and the same id in
   * two splits would leak training rows into evaluation.
   */
  private static Dataset<Row> checkIds(List<SourceRows> parts) {
    Dataset<Row> all = parts.stream().map(SourceRows::rows).reduce(Dataset::union).orElseThrow();
    if (parts.stream().noneMatch(SourceRows::idsFromColumn)) {
      return all;
    }
    Dataset<Row> repeated = all.groupBy(col(ParsedRows.ID).as("repeated_id")).count()
        .filter(col("count").gt(1)).withColumnRenamed("count", "occurrences");
    Dataset<Row> joined = all.join(org.apache.spark.sql.functions.broadcast(repeated),
        col(ParsedRows.ID).equalTo(col("repeated_id")), "left");
    Column reason = when(col(ParsedRows.REASON).isNull().and(col("occurrences").isNotNull()),
        expr("concat('" + RejectReason.DUPLICATE_ID.code() + ": id occurs ', occurrences, ' times')"))
        .otherwise(col(ParsedRows.REASON));
    return joined.select(col(ParsedRows.ID), col(ParsedRows.SPLIT), col(ParsedRows.FEATURES),
        col(ParsedRows.LABEL), reason.as(ParsedRows.REASON), col(ParsedRows.RAW));
  }

  private static RowTally tally(List<Row> groups) {
    RowTally tally = new RowTally();
    for (Row group : groups) {
      long rows = group.getLong(3);
      if (group.isNullAt(1)) {
        tally.addWritten(group.getString(0), !group.getBoolean(2), rows);
      } else {
        tally.addRejected(group.getString(1), rows);
      }
    }
    return tally;
  }

  private int classCount(List<Row> groups) {
    if (config.classCount() > 0) {
      return config.classCount();
    }
    int largest = groups.stream().filter(g -> g.isNullAt(1) && !g.isNullAt(4))
        .mapToInt(g -> g.getInt(4)).max().orElse(-1);
    if (largest < 1) {
      throw new DistillException("cannot infer the number of classes: the input has "
          + (largest < 0 ? "no labeled rows" : "only label 0")
          + "; set prepare.class-count or prepare.class-names");
    }
    LOG.info("class count inferred from the largest label: {}", largest + 1);
    return largest + 1;
  }

  private List<String> classNames(int classCount) {
    return TableShape.namesOrIndexes(config.classNames(), classCount);
  }

  private void failOnTooManyRejected(SparkSession spark, RowTally tally, Dataset<Row> rejected,
      OutputDirectory out) {
    if (tally.rejectedShare() <= config.maxRejectedFraction()) {
      return;
    }
    writeRejected(spark, rejected, out);
    throw new DistillException(String.format(java.util.Locale.ROOT,
        "%d of %d input rows (%.2f%%) were rejected, more than prepare.max-rejected-fraction = %s;"
            + " reasons %s; the rows are in %s", tally.rejected(), tally.input(),
        100.0 * tally.rejectedShare(), config.maxRejectedFraction(), tally.rejectedByReason(),
        out.child("_rejected")));
  }

  /** An examples table without a row would only fail the next job; say why here. */
  private void failOnNoUsableRows(SparkSession spark, RowTally tally, Dataset<Row> rejected,
      OutputDirectory out) {
    if (tally.written() > 0) {
      return;
    }
    List<String> inputs = java.util.Arrays.stream(Split.values())
        .flatMap(split -> config.input(split).stream()).toList();
    if (tally.input() == 0) {
      throw new DistillException("prepare found no rows in " + String.join(", ", inputs)
          + "; nothing to write");
    }
    writeRejected(spark, rejected, out);
    throw new DistillException("prepare rejected all " + tally.input() + " rows of "
        + String.join(", ", inputs) + " (reasons " + tally.rejectedByReason() + "); the rows are "
        + "in " + out.child("_rejected"));
  }

  private static void writeRejected(SparkSession spark, Dataset<Row> rejected,
      OutputDirectory out) {
    SparkPhases.run(spark, "prepare: writing rejected rows to " + out.child("_rejected"),
        () -> out.write("examples table", () -> rejected.write().mode("overwrite")
            .parquet(out.child("_rejected").toString())));
  }

  /**
   * The configured scaling, fitted when its kind is fitted: each feature's mean, population
   * standard deviation, minimum and maximum over the labeled rows of the training split, in one
   * distributed pass (Spark ML's Summarizer), so validation and test rows never shape it.
   */
  private FeatureScaling fitScaling(SparkSession spark, Dataset<Row> examples, int features) {
    if (!config.scalingFrom().isEmpty()) {
      FeatureScaling recorded = InputTable.complete(config.scalingFrom(),
          "prepare.scaling.from", "examples table", "prepare the training data first",
          spark.sparkContext().hadoopConfiguration()).manifest(ExamplesManifest.class).scaling();
      if (recorded.kind().fitted() && recorded.offsets().size() != features) {
        throw new DistillException("prepare.scaling.from = " + config.scalingFrom() + " was "
            + "fitted on " + recorded.offsets().size() + " features; these rows have "
            + features);
      }
      LOG.info("applying the {} scaling recorded in {}", Settings.spelling(recorded.kind()),
          config.scalingFrom());
      return recorded;
    }
    FeatureScaling scaling = config.scaling();
    if (!scaling.kind().fitted()) {
      return scaling;
    }
    String kind = Settings.spelling(scaling.kind());
    Row stats = SparkPhases.run(spark, "prepare: fitting " + kind + " scaling on the labeled "
        + "training rows", () -> examples
        .filter(col(ParsedRows.SPLIT).equalTo(Split.TRAIN.value())
            .and(col(ParsedRows.LABEL).isNotNull()))
        .select(org.apache.spark.ml.functions.array_to_vector(col(ParsedRows.FEATURES)).as("v"))
        .select(org.apache.spark.ml.stat.Summarizer.metrics("mean", "variance", "min", "max",
            "count").summary(col("v")).as("s"))
        .select("s.*").first());
    long rows = stats.isNullAt(stats.fieldIndex("count")) ? 0 : stats.<Long>getAs("count");
    if (rows == 0) {
      throw new DistillException("prepare.scaling.kind = " + kind + " is fitted on the labeled "
          + "rows of the training split, and there are none");
    }
    double[] variance = stats.<org.apache.spark.ml.linalg.Vector>getAs("variance").toArray();
    double[] std = new double[variance.length];
    for (int i = 0; i < std.length; i++) {
      // Summarizer's variance is the sample's (n - 1); the scaling uses the population's.
      std[i] = Math.sqrt(Math.max(0, variance[i] * (rows - 1) / rows));
    }
    FeatureScaling fitted = FeatureScaling.fit(scaling.kind(),
        stats.<org.apache.spark.ml.linalg.Vector>getAs("mean").toArray(), std,
        stats.<org.apache.spark.ml.linalg.Vector>getAs("min").toArray(),
        stats.<org.apache.spark.ml.linalg.Vector>getAs("max").toArray(), rows);
    LOG.info("{} scaling fitted on {} labeled training rows", kind, rows);
    return fitted;
  }

  /** Counts the rows in the written files and checks input = written + rejected. */
  private static RowTally countWritten(SparkSession spark, OutputDirectory out,
      RowTally parsedTally) {
    List<Row> groups = SparkPhases.run(spark, "prepare: counting written rows",
        () -> spark.read().parquet(out.path().toString())
            .groupBy(col(ParsedRows.SPLIT), col(ParsedRows.LABEL).isNotNull()).count()
            .collectAsList());
    RowTally written = new RowTally();
    groups.forEach(g -> written.addWritten(g.getString(0), g.getBoolean(1), g.getLong(2)));
    parsedTally.rejectedByReason().forEach(written::addRejected);
    if (written.input() != parsedTally.input()) {
      throw new DistillException("row accounting failed for " + out.path() + ": read "
          + parsedTally.input() + " rows but wrote " + written.written() + " and rejected "
          + written.rejected());
    }
    return written;
  }
}
