package dev.sparkdistill.jobs.prepare;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.when;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.common.config.ImageOptions;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.Settings;
import dev.sparkdistill.common.config.SourceFormat;
import dev.sparkdistill.common.config.WriteMode;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.data.RejectReason;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.InputFingerprint;
import dev.sparkdistill.common.manifest.RowTally;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.targets.ScoringSplits;
import dev.sparkdistill.jobs.SessionDefaults;
import dev.sparkdistill.jobs.OutputJob;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.FileTree;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.io.ScoredTables;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
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
public final class PrepareJob
    extends OutputJob<ExamplesManifest.Source, ExamplesManifest> {
  private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);
  private static final String CODE = "code";
  private static final String REJECTED = "_rejected";

  private final PrepareConfig config;
  /** The image trees of each split, as listed for the fingerprint (tree layouts only). */
  private final Map<Split, FileTree> imageTrees = new java.util.EnumMap<>(Split.class);

  public PrepareJob(PrepareConfig config) {
    this.config = config;
  }

  @Override
  protected Output<ExamplesManifest> output() {
    return new Output<>("prepare", config.output(), config.mode(), ExamplesManifest.class,
        "examples table", name -> name.startsWith(ParsedRows.SPLIT + "=")
            || name.equals("_temporary") || name.equals(REJECTED));
  }

  /** The inputs' description and fingerprint, which tell a rerun on the same files. */
  @Override
  protected ExamplesManifest.Source readInputs(SparkSession spark) {
    return describeInputs(spark.sparkContext().hadoopConfiguration());
  }

  @Override
  protected boolean sameRun(ExamplesManifest previous, ExamplesManifest.Source source) {
    return previous.configDigest().equals(config.configDigest())
        && previous.source().inputFingerprint().equals(source.inputFingerprint());
  }

  @Override
  protected boolean continues(ExamplesManifest.Source source) {
    return config.addsBatch();
  }

  /** A table built by batches is not replaced by a whole one unless the mode says overwrite. */
  @Override
  protected Optional<ExamplesManifest> existing(OutputDirectory out,
      ExamplesManifest.Source source) {
    Optional<ExamplesManifest> batched = out.completeManifest(ExamplesManifest.class)
        .filter(m -> m.batches() != null);
    if (!config.addsBatch() && batched.isPresent() && config.mode() != WriteMode.OVERWRITE) {
      throw new DistillException(out.path() + " holds an examples table built by batches ("
          + batched.get().batchNames() + "); set prepare.batch to add one, or use --mode "
          + "overwrite to replace the whole table");
    }
    return super.existing(out, source);
  }

  @Override
  protected Written<ExamplesManifest> write(Run run, ExamplesManifest.Source source) {
    return config.addsBatch() ? appendBatch(run.spark(), run.out(), source, run.started())
        : Written.complete(writeWhole(run.spark(), run.out(), source, run.started()));
  }

  @Override
  protected String describe(ExamplesManifest manifest) {
    return config.addsBatch() ? "batch " + config.batch() + " added; the table holds batches "
        + manifest.batchNames() + ", rows " + manifest.rows().bySplit()
        : manifest.rows().bySplit().toString();
  }

  /**
   * The input rows parsed and checked, persisted until {@link #release}: every row once, with
   * its reject reason (null for a usable row) and the reason's code.
   */
  private record Checked(Dataset<Row> rows, RowTally tally, int classCount, List<Integer> shape,
      List<String> classNames) {
    /** The class names in label order, or the class indexes when nothing names them. */
    List<String> classNamesOrIndexes() {
      return TableShape.namesOrIndexes(classNames, classCount);
    }

    Dataset<Row> usable() {
      return rows.filter(col(ParsedRows.REASON).isNull())
          .select(ParsedRows.ID, ParsedRows.FEATURES, ParsedRows.LABEL, ParsedRows.SPLIT);
    }

    Dataset<Row> rejected() {
      return rows.filter(col(ParsedRows.REASON).isNotNull())
          .select(ParsedRows.ID, ParsedRows.SPLIT, ParsedRows.REASON, ParsedRows.RAW,
              ParsedRows.FEATURES, ParsedRows.LABEL);
    }

    /** Blocks until the cached rows are dropped: the next job in the JVM gets the memory. */
    void release() {
      rows.unpersist(true);
    }
  }

  /**
   * Reads every input, checks each row and counts them; fails when too many rows, or all, are
   * unusable, after writing them to {@code rejectedDir}.
   *
   * @param table the examples table a batch is added to: its shape and classes bind the rows,
   *     and its ids may not come again
   */
  private Checked parseAndCheck(SparkSession spark, Optional<ExamplesManifest> table,
      Path rejectedDir) {
    // Only a run that reads its inputs names the classes: for a listing of images that is a
    // Spark job of its own, which a skipped run or a batch added to a table never needs.
    List<String> names = table.map(ExamplesManifest::classNames).orElseGet(() ->
        config.format() == SourceFormat.IMAGES ? ImageSource.classNames(spark, config)
            : config.classNames());
    OptionalInt knownClasses = table.map(t -> OptionalInt.of(t.classCount()))
        .orElse(!names.isEmpty() ? OptionalInt.of(names.size())
            : config.classCount() > 0 ? OptionalInt.of(config.classCount())
            : OptionalInt.empty());
    List<SourceRows> parts = readSplits(spark, knownClasses, names);
    List<Integer> shape = commonShape(parts);
    table.ifPresent(t -> checkShape(t, shape));
    Dataset<Row> all = parts.stream().map(SourceRows::rows).reduce(Dataset::union).orElseThrow();
    Dataset<Row> checked = (parts.stream().anyMatch(SourceRows::idsFromColumn)
        ? ExampleDatasets.rejectRepeatedIds(all, table.isPresent() ? earlierIds(spark) : null)
        : all)
        .withColumn(CODE, expr("substring_index(reason, ':', 1)"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Row> groups = SparkPhases.run(spark, "prepare: parsing and checking input rows",
          () -> checked.groupBy(col(ParsedRows.SPLIT), col(CODE), col(ParsedRows.LABEL).isNull())
              .agg(count(lit(1)), max(col(ParsedRows.LABEL))).collectAsList());
      RowTally parsedTally = tally(groups);
      LOG.info("read {} rows: {} usable, {} rejected {}", parsedTally.input(),
          parsedTally.written(), parsedTally.rejected(), parsedTally.rejectedByReason());
      Checked result = new Checked(checked, parsedTally, knownClasses.isPresent()
          ? knownClasses.getAsInt() : classCount(groups), shape, names);
      failOnTooManyRejected(spark, parsedTally, result.rejected(), rejectedDir);
      failOnNoUsableRows(spark, parsedTally, result.rejected(), rejectedDir);
      return result;
    } catch (RuntimeException e) {
      checked.unpersist();
      throw e;
    }
  }

  private ExamplesManifest writeWhole(SparkSession spark, OutputDirectory out,
      ExamplesManifest.Source source, String started) {
    Checked checked = parseAndCheck(spark, Optional.empty(), out.child(REJECTED));
    try {
      RowTally parsedTally = checked.tally();
      List<Integer> shape = checked.shape();
      int classCount = checked.classCount();
      Dataset<Row> usable = checked.usable();
      Dataset<Row> unscaled = ExampleDatasets.keepLabels(config.carvesValidation()
          ? ExampleDatasets.carveValidation(usable, config.validationFraction(), config.seed())
          : usable, config.labeledFraction(), config.seed());
      FeatureScaling scaling = fitScaling(spark, unscaled, shape);
      Dataset<Row> examples = ExampleDatasets.scale(unscaled, scaling);
      SparkPhases.run(spark, "prepare: writing " + parsedTally.written() + " examples to "
          + out.path(), () -> out.write("examples table",
              () -> writeExamples(spark, examples, out.path(), ParsedRows.SPLIT)));
      writeRejected(spark, checked.rejected(), out.child(REJECTED));
      RowTally written = countWritten(spark, out.path(), parsedTally);
      return new ExamplesManifest(ExamplesManifest.SCHEMA_VERSION,
          ExamplesManifest.KIND, ProjectVersion.get(), started, Instant.now().toString(), shape,
          shape.stream().reduce(1, Math::multiplyExact), classCount,
          checked.classNamesOrIndexes(),
          scaling, source, written.toCounts(),
          new ExamplesManifest.SplitPolicy(config.carvesValidation(),
              config.carvesValidation() ? config.validationFraction() : 0,
              config.labeledFraction(), config.seed()),
          config.configDigest(), null);
    } finally {
      checked.release();
    }
  }

  /**
   * Adds {@code prepare.batch} to a table of batches (created by the first): the rows are
   * written to a staging directory, counted, and moved into {@code split=S/batch=B/}; only then
   * does the manifest list the batch. A rerun with the same inputs and config does nothing.
   */
  private Written<ExamplesManifest> appendBatch(SparkSession spark, OutputDirectory out,
      ExamplesManifest.Source source, String started) {
    String batch = config.batch();
    Optional<ExamplesManifest> table = batchedTable(out);
    // First what an interrupted run left, so that even a retry that has nothing to add leaves
    // readers only the batches the manifest lists.
    BatchedTable files = new BatchedTable(out, spark.sparkContext().hadoopConfiguration());
    files.removeUnlisted(new TreeSet<>(table.map(ExamplesManifest::batchNames)
        .orElse(List.of())));
    Optional<ExamplesManifest.Batch> previous = table.flatMap(t -> t.batch(batch));
    if (previous.isPresent()) {
      if (previous.get().configDigest().equals(config.configDigest())
          && previous.get().source().inputFingerprint().equals(source.inputFingerprint())) {
        LOG.info("{} already holds batch {} from these inputs and this config; nothing to do",
            out.path(), batch);
        return Written.unchanged(table.get());
      }
      if (config.mode() == WriteMode.ERROR) {
        throw new DistillException("prepare.batch = " + batch + ": " + out.path() + " holds "
            + "batch " + batch + " prepared from other inputs or another config; use --mode "
            + "overwrite to replace just that batch");
      }
      LOG.warn("replacing batch {} of {}: its inputs or config changed. Tables scored from "
          + "it incrementally (infer, predict) keep the batch's earlier scores: run them again "
          + "with --mode overwrite", batch, out.path());
    }
    table.ifPresent(this::checkFits);
    Path rejectedDir = new Path(out.child(REJECTED), BatchedTable.BATCH + "=" + batch);
    Checked checked = parseAndCheck(spark, table, rejectedDir);
    try {
      Dataset<Row> usable = checked.usable();
      Dataset<Row> unscaled = ExampleDatasets.keepLabelsByDraw(config.carvesValidation()
          ? ExampleDatasets.carveValidationByDraw(usable, config.validationFraction(),
              config.seed())
          : usable, config.labeledFraction(), config.seed());
      FeatureScaling scaling = table.isPresent() ? table.get().scaling()
          : fitScaling(spark, unscaled, checked.shape());
      Dataset<Row> examples = ExampleDatasets.scale(unscaled, scaling)
          .withColumn(BatchedTable.BATCH, lit(batch));
      SparkPhases.run(spark, "prepare: writing batch " + batch + ", " + checked.tally().written()
          + " examples, to " + files.staging(), () -> out.write("examples table",
              () -> writeExamples(spark, examples, files.staging(), ParsedRows.SPLIT,
                  BatchedTable.BATCH)));
      writeRejected(spark, checked.rejected(), rejectedDir);
      RowTally written = countWritten(spark, files.staging(), checked.tally());
      files.moveIn(batch);

      List<ExamplesManifest.Batch> batches = new ArrayList<>();
      table.ifPresent(t -> t.batches().stream().filter(b -> !b.name().equals(batch))
          .forEach(batches::add));
      batches.add(new ExamplesManifest.Batch(batch, started, source, written.toCounts(),
          config.configDigest()));
      LOG.info("batch {} moved into {}: {} rows written, {} rejected", batch, out.path(),
          written.written(), written.rejected());
      return Written.complete(batchedManifest(table, checked, scaling, batches, started));
    } finally {
      checked.release();
    }
  }

  /**
   * The table a batch is added to, when one is complete; a table written whole is refused,
   * and the leftovers of a first batch that did not finish are cleared.
   */
  private Optional<ExamplesManifest> batchedTable(OutputDirectory out) {
    Optional<ExamplesManifest> table = out.completeManifest(ExamplesManifest.class);
    if (table.isPresent()) {
      if (table.get().batches() == null) {
        throw new DistillException("prepare.batch = " + config.batch() + ": " + out.path()
            + " holds an examples table prepared whole, not batch by batch; prepare the "
            + "batches into another output, or leave prepare.batch empty");
      }
      return table;
    }
    if (out.exists() && !out.holdsOnly(name -> BatchedTable.isOwnLeftover(name)
        || name.startsWith("."))) {
      throw new DistillException("output " + out.path() + " exists and is not an examples "
          + "table; choose another output");
    }
    // Rows without a complete manifest: a first batch that did not finish, or a table whose
    // manifest was lost. Only the user can tell, so only --mode overwrite clears them.
    if (!out.exists()) {
      return Optional.empty();
    }
    if (out.holdsOnly(name -> !name.startsWith(ParsedRows.SPLIT + "="))
        || config.mode() == WriteMode.OVERWRITE) {
      out.delete();
      return Optional.empty();
    }
    throw new DistillException("prepare.batch = " + config.batch() + ": " + out.path()
        + " holds rows but no complete manifest (a first batch that did not finish, or a "
        + "table whose _manifest.json or _SUCCESS is gone); use --mode overwrite to clear it "
        + "and start the table again");
  }

  /** A later batch takes the table's classes, scaling and split rule; a config that differs is refused. */
  private void checkFits(ExamplesManifest table) {
    String prefix = "prepare.batch = " + config.batch() + " is added to a table ";
    if (!config.classNames().isEmpty() && !config.classNames().equals(table.classNames())) {
      throw new DistillException(prefix + "whose classes are " + table.classNames()
          + "; prepare.class-names gives " + config.classNames());
    }
    if (config.classCount() > 0 && config.classCount() != table.classCount()) {
      throw new DistillException(prefix + "of " + table.classCount() + " classes; "
          + "prepare.class-count gives " + config.classCount());
    }
    FeatureScaling recorded = table.scaling();
    FeatureScaling asked = config.scalingFrom().isEmpty() ? config.scaling() : recorded;
    boolean sameScaling = asked.kind() == recorded.kind() && (recorded.kind().fitted()
        || asked.multiply() == recorded.multiply() && asked.add() == recorded.add());
    if (!sameScaling) {
      throw new DistillException(prefix + "scaled by " + Settings.spelling(recorded.kind())
          + (recorded.kind() == FeatureScaling.Kind.LINEAR ? " (x * " + recorded.multiply()
              + " + " + recorded.add() + ")" : "") + "; prepare.scaling asks for "
          + Settings.spelling(asked.kind()) + ": every batch is scaled as the table is");
    }
    ExamplesManifest.SplitPolicy rule = table.splits();
    if (rule.validationCarved() != config.carvesValidation()
        || rule.validationFraction() != (config.carvesValidation() ? config.validationFraction() : 0)
        || rule.labeledFraction() != config.labeledFraction() || rule.seed() != config.seed()) {
      throw new DistillException(prefix + "whose splits were drawn with validation-fraction "
          + Settings.show(rule.validationFraction()) + ", labeled-fraction "
          + Settings.show(rule.labeledFraction()) + " and seed " + rule.seed() + "; this config "
          + "gives " + Settings.show(config.carvesValidation() ? config.validationFraction() : 0)
          + ", " + Settings.show(config.labeledFraction()) + " and " + config.seed()
          + ": a row's split must not depend on when it arrived");
    }
  }

  private void checkShape(ExamplesManifest table, List<Integer> shape) {
    if (!shape.equals(table.featureShape())) {
      throw new DistillException("prepare.batch = " + config.batch() + ": the rows have shape "
          + shape + " but the examples table " + config.output() + " has "
          + table.featureShape());
    }
  }

  /** The ids already in the table, with their batch, except the batch this run replaces. */
  private Dataset<Row> earlierIds(SparkSession spark) {
    return spark.read().parquet(config.output())
        .select(col(ParsedRows.ID).as(ExampleDatasets.EARLIER_ID),
            col(BatchedTable.BATCH).cast("string").as(ExampleDatasets.EARLIER_BATCH))
        .filter(col(ExampleDatasets.EARLIER_BATCH).notEqual(config.batch()));
  }

  /** The table's manifest: its batches, and their rows added up. */
  private ExamplesManifest batchedManifest(Optional<ExamplesManifest> table, Checked checked,
      FeatureScaling scaling, List<ExamplesManifest.Batch> batches, String started) {
    RowTally total = new RowTally();
    batches.forEach(b -> total.add(b.rows()));
    ExamplesManifest.Batch last = batches.get(batches.size() - 1);
    ExamplesManifest.Source source = new ExamplesManifest.Source(last.source().format(),
        last.source().inputs(), batches.stream().mapToInt(b -> b.source().inputFiles()).sum(),
        ConfigRendering.sha256(batches.stream().map(b -> b.name() + "\t"
            + b.source().inputFingerprint()).collect(Collectors.joining("\n"))));
    List<Integer> shape = checked.shape();
    int classCount = checked.classCount();
    return new ExamplesManifest(ExamplesManifest.SCHEMA_VERSION, ExamplesManifest.KIND,
        ProjectVersion.get(), table.map(ExamplesManifest::startedAt).orElse(started),
        Instant.now().toString(), shape, shape.stream().reduce(1, Math::multiplyExact),
        classCount,
        table.map(ExamplesManifest::classNames).orElse(checked.classNamesOrIndexes()),
        scaling, source, total.toCounts(),
        table.map(ExamplesManifest::splits).orElse(new ExamplesManifest.SplitPolicy(
            config.carvesValidation(), config.carvesValidation() ? config.validationFraction()
                : 0, config.labeledFraction(), config.seed())),
        ConfigRendering.sha256(batches.stream().map(ExamplesManifest.Batch::configDigest)
            .collect(Collectors.joining("\n"))), List.copyOf(batches));
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
    long inputFiles = 0;
    for (Map.Entry<Split, String> input : config.inputs().entrySet()) {
      Split split = input.getKey();
      String path = input.getValue();
      inputs.put(split.value(), path);
      String key = "prepare.input." + split.value();
      if (config.format() == SourceFormat.IMAGES
          && config.images().layout() != ImageOptions.Layout.LISTING) {
        // A tree of images may hold millions of files: it enters the fingerprint as one
        // entry, its digest, and the listing is never held.
        FileTree tree = FileTree.list(path, key, config.images().files(), conf);
        imageTrees.put(split, tree);
        inputFiles += tree.files();
        facts.add(new InputFingerprint.FileFacts(path + " " + tree.fingerprint(), tree.bytes(),
            0));
        LOG.info("{} = {}: {} files, {} MB", key, path, tree.files(), tree.bytes() >> 20);
      } else {
        List<InputFingerprint.FileFacts> files =
            HadoopFiles.facts(HadoopFiles.dataFiles(path, key, conf));
        facts.addAll(files);
        inputFiles += files.size();
      }
    }
    for (Map.Entry<Split, String> labels : config.idxLabels().entrySet()) {
      String split = labels.getKey().value();
      inputs.put(split + "-labels", labels.getValue());
      List<InputFingerprint.FileFacts> files = HadoopFiles.facts(HadoopFiles.dataFiles(
          labels.getValue(), "prepare.idx." + split + "-labels", conf));
      facts.addAll(files);
      inputFiles += files.size();
    }
    if (!config.scalingFrom().isEmpty()) {
      // The table whose scaling is applied is an input too: prepared again, it makes this
      // output stale, so its manifest counts in the fingerprint.
      InputTable.complete(config.scalingFrom(), "prepare.scaling.from", "examples table",
          "prepare the training data first", conf);
      inputs.put("scaling-from", config.scalingFrom());
      List<InputFingerprint.FileFacts> files = HadoopFiles.facts(HadoopFiles.dataFiles(
          config.scalingFrom() + "/" + OutputDirectory.MANIFEST, "prepare.scaling.from", conf));
      facts.addAll(files);
      inputFiles += files.size();
    }
    return new ExamplesManifest.Source(Settings.spelling(config.format()), inputs,
        (int) Math.min(Integer.MAX_VALUE, inputFiles),
        InputFingerprint.of(facts));
  }

  private List<SourceRows> readSplits(SparkSession spark, OptionalInt classCount,
      List<String> names) {
    ExampleSource source = switch (config.format()) {
      case IDX -> new IdxSource(config);
      case CSV -> new CsvSource(config);
      case PARQUET -> new ParquetSource(config);
      case IMAGES -> new ImageSource(config, names, imageTrees);
    };
    List<SourceRows> parts = new ArrayList<>();
    for (Split split : Split.values()) {
      if (config.input(split).isPresent()) {
        parts.add(withBatchIds(source.read(spark, split, classCount)));
      }
    }
    return parts;
  }

  /**
   * A batch's generated ids (file name and position) start with the batch, so that files of
   * the same name on two days do not give two rows one id; ids from a column stay as they are.
   */
  private SourceRows withBatchIds(SourceRows part) {
    if (!config.addsBatch() || part.idsFromColumn()) {
      return part;
    }
    return new SourceRows(part.rows().withColumn(ParsedRows.ID,
        org.apache.spark.sql.functions.concat(lit(config.batch() + "/"), col(ParsedRows.ID))),
        part.featureShape(), false);
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

  /**
   * Writes examples as Parquet partitioned by {@code partitionBy}, with two-level lists as infer
   * writes them and no {@code _SUCCESS}: the caller marks the output complete.
   */
  private void writeExamples(SparkSession spark, Dataset<Row> examples, Path path,
      String... partitionBy) {
    SessionDefaults.with(spark, List.of(ScoredTables.twoLevelLists()), () -> examples.write()
        .mode("overwrite").partitionBy(partitionBy)
        .option("maxRecordsPerFile", config.rowsPerFile())
        .option("parquet.block.size", ScoringSplits.ROW_GROUP_BYTES)
        .option("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        .parquet(path.toString()));
  }

  private void failOnTooManyRejected(SparkSession spark, RowTally tally, Dataset<Row> rejected,
      Path rejectedDir) {
    if (tally.rejectedShare() <= config.maxRejectedFraction()) {
      return;
    }
    writeRejected(spark, rejected, rejectedDir);
    throw new DistillException(String.format(java.util.Locale.ROOT,
        "%d of %d input rows (%.2f%%) were rejected, more than prepare.max-rejected-fraction = %s;"
            + " reasons %s; the rows are in %s", tally.rejected(), tally.input(),
        100.0 * tally.rejectedShare(), config.maxRejectedFraction(), tally.rejectedByReason(),
        rejectedDir));
  }

  /** An examples table without a row would only fail the next job; say why here. */
  private void failOnNoUsableRows(SparkSession spark, RowTally tally, Dataset<Row> rejected,
      Path rejectedDir) {
    if (tally.written() > 0) {
      return;
    }
    List<String> inputs = java.util.Arrays.stream(Split.values())
        .flatMap(split -> config.input(split).stream()).toList();
    if (tally.input() == 0) {
      throw new DistillException("prepare found no rows in " + String.join(", ", inputs)
          + "; nothing to write");
    }
    writeRejected(spark, rejected, rejectedDir);
    throw new DistillException("prepare rejected all " + tally.input() + " rows of "
        + String.join(", ", inputs) + " (reasons " + tally.rejectedByReason() + "); the rows are "
        + "in " + rejectedDir);
  }

  private static void writeRejected(SparkSession spark, Dataset<Row> rejected, Path dir) {
    SparkPhases.run(spark, "prepare: writing rejected rows to " + dir,
        () -> rejected.write().mode("overwrite").parquet(dir.toString()));
  }

  /**
   * The configured scaling, fitted when its kind is fitted: each feature's mean, population
   * standard deviation, minimum and maximum over the labeled rows of the training split, in one
   * distributed pass (Spark ML's Summarizer), so validation and test rows never shape it.
   */
  private FeatureScaling fitScaling(SparkSession spark, Dataset<Row> examples,
      List<Integer> shape) {
    int features = shape.stream().reduce(1, Math::multiplyExact);
    // Channel-standard pools the pixels of each channel: the first axis of a channels-first
    // shape, or one channel for a flat vector.
    int channels = shape.size() >= 2 ? shape.get(0) : 1;
    if (!config.scalingFrom().isEmpty()) {
      FeatureScaling recorded = InputTable.complete(config.scalingFrom(),
          "prepare.scaling.from", "examples table", "prepare the training data first",
          spark.sparkContext().hadoopConfiguration()).manifest(ExamplesManifest.class).scaling();
      if (recorded.kind().fitted() && recorded.fittedFeatureCount() != features) {
        throw new DistillException("prepare.scaling.from = " + config.scalingFrom() + " was "
            + "fitted on " + recorded.fittedFeatureCount() + " features; these rows have "
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
    FeatureScaling fitted = scaling.kind() == FeatureScaling.Kind.CHANNEL_STANDARD
        ? FeatureScaling.fitChannels(stats.<org.apache.spark.ml.linalg.Vector>getAs("mean")
            .toArray(), std, channels, rows)
        : FeatureScaling.fit(scaling.kind(),
        stats.<org.apache.spark.ml.linalg.Vector>getAs("mean").toArray(), std,
        stats.<org.apache.spark.ml.linalg.Vector>getAs("min").toArray(),
        stats.<org.apache.spark.ml.linalg.Vector>getAs("max").toArray(), rows);
    LOG.info("{} scaling fitted on {} labeled training rows", kind, rows);
    return fitted;
  }

  /** Counts the rows in the written files and checks input = written + rejected. */
  private static RowTally countWritten(SparkSession spark, Path table, RowTally parsedTally) {
    List<Row> groups = SparkPhases.run(spark, "prepare: counting written rows",
        () -> spark.read().parquet(table.toString())
            .groupBy(col(ParsedRows.SPLIT), col(ParsedRows.LABEL).isNotNull()).count()
            .collectAsList());
    RowTally written = new RowTally();
    groups.forEach(g -> written.addWritten(g.getString(0), g.getBoolean(1), g.getLong(2)));
    parsedTally.rejectedByReason().forEach(written::addRejected);
    if (written.input() != parsedTally.input()) {
      throw new DistillException("row accounting failed for " + table + ": read "
          + parsedTally.input() + " rows but wrote " + written.written() + " and rejected "
          + written.rejected());
    }
    return written;
  }
}
