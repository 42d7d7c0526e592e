package dev.sparkdistill.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.Settings;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.data.SplitDraw;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.manifest.TrainingLogEntry;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.train.BatchMetrics;
import dev.sparkdistill.common.train.Minibatches;
import dev.sparkdistill.common.train.ViewReplay;
import dev.sparkdistill.jobs.OutputJob;
import dev.sparkdistill.jobs.SparkPhases;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.OutputDirectory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code train} job: a teacher (alpha = 0, hard labels) or a distilled student (teacher
 * scores, alpha > 0) trained across the executors by a {@link TrainingEngine}.
 *
 * <p>Operational facts: minibatches are packed on the executors from the input table and
 * persisted (memory and disk) for all epochs. Per epoch the driver holds the network, receives
 * one metrics object per validation partition, and writes a checkpoint (parameters and updater
 * state) to {@code output/checkpoints}. The output's {@code model.zip} is the epoch with the best
 * validation loss; {@code _manifest.json} and {@code _SUCCESS} are written last.
 */
public final class TrainJob extends OutputJob<TrainingInput, ModelManifest> {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
  static final String MODEL_FILE = "model.zip";
  static final String LOG_FILE = TrainingLogEntry.FILE;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TrainConfig config;
  /** The model in the output before this run cleared it, which a warm start continues. */
  private Optional<PreviousModel> earlierModel = Optional.empty();

  public TrainJob(TrainConfig config) {
    this.config = config;
  }

  @Override
  protected Output<ModelManifest> output() {
    return new Output<>("train", config.output(), config.mode(), ModelManifest.class, "model",
        name -> name.equals("checkpoints") || name.equals(LOG_FILE) || name.equals("_export")
            || name.equals(MODEL_FILE));
  }

  @Override
  protected TrainingInput readInputs(SparkSession spark) {
    TrainingInput input = TrainingInput.open(spark, config.input());
    checkInputSuitsConfig(input);
    return input;
  }

  @Override
  protected boolean sameRun(ModelManifest previous, TrainingInput input) {
    return previous.configDigest().equals(config.configDigest())
        && previous.inputManifestDigest().equals(input.manifestDigest());
  }

  /** A resumed run keeps the checkpoints a failed run left. */
  @Override
  protected boolean resumes(TrainingInput input) {
    return config.resume();
  }

  /** A warm start reads the earlier model before the output is cleared for this run. */
  @Override
  protected Optional<ModelManifest> existing(OutputDirectory out, TrainingInput input) {
    earlierModel = previousModel(out, input, out.conf());
    return super.existing(out, input);
  }

  @Override
  protected String describe(ModelManifest manifest) {
    return manifest.modelFile() + ", best epoch " + manifest.bestEpoch() + " of "
        + manifest.epochs() + ", " + manifest.parameterCount() + " parameters";
  }

  @Override
  protected Written<ModelManifest> write(Run run, TrainingInput input) {
    SparkSession spark = run.spark();
    OutputDirectory out = run.out();
    String started = run.started();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    TableShape shape = input.shape();
    Optional<PreviousModel> earlierModel = this.earlierModel;

    List<String> batches = config.batchColumn().isEmpty() ? null
        : input.batches(config.batchColumn());
    Optional<WarmStart> warm = earlierModel.flatMap(p -> warmStart(p, batches));
    TrainingInput rows = warm.map(w -> input.withTrainRows(w.keep(config))).orElse(input);

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    ViewReplay replay = input.replay(config);
    Minibatches packer = new Minibatches(shape.featureCount(), shape.classCount(),
        config.classWeightsFor(shape.classCount()), (float) config.unlabeledWeight())
        .keepingViews(replay);
    // Unlabeled rows teach nothing without the distillation term, and would only dilute every
    // minibatch's mean loss: with alpha = 0 they are left out.
    boolean labeledOnly = config.alpha() == 0;
    JavaRDD<DataSet> train = rows.batches(Split.TRAIN, packer, config.batchSizePerWorker(),
        labeledOnly).persist(StorageLevel.MEMORY_AND_DISK());
    // Validation is measured without class weights: they shape training, not the metrics.
    Minibatches unweighted = new Minibatches(shape.featureCount(), shape.classCount(),
        config.classWeightsFor(shape.classCount(), true), (float) config.unlabeledWeight());
    JavaRDD<DataSet> validation = rows.batches(Split.VALIDATION, unweighted,
        config.batchSizePerWorker(), labeledOnly).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long trainRows = SparkPhases.run(spark, "train: checking and packing the training rows "
          + "of " + input, () -> {
            input.checkRows();
            return train.map(DataSet::numExamples).fold(0, Integer::sum).longValue();
          });
      if (trainRows == 0) {
        throw new DistillException("train.input = " + config.input()
            + " has no " + (labeledOnly ? "labeled " : "") + "rows in its train split; nothing "
            + "to train on");
      }
      Checkpoints checkpoints = new Checkpoints(out.child("checkpoints"), conf);
      checkpoints.claim(config.configDigest(), input.manifestDigest(), config.resume());
      List<TrainingLogEntry> log = new ArrayList<>();
      MultiLayerNetwork network = startingNetwork(checkpoints, log, conf, shape, warm);
      String exportDir = config.exportDirectory().isEmpty() ? out.child("_export").toString()
          : config.exportDirectory();
      try (TrainingEngine engine = engine(config, jsc, network, exportDir, replay,
          shape.featureShape())) {
        if (log.isEmpty() && config.model().initFrom().isEmpty() && warm.isEmpty()) {
          scheduleLearningRate(config, network, engine.workers(),
              engine.stepsPerEpoch(train, trainRows));
        }
        network = trainEpochs(spark, jsc, engine, network, train, validation, trainRows, log,
            checkpoints, out, conf);
      }
      return Written.complete(finish(network, log, checkpoints, out, conf, input, started,
          warm.map(WarmStart::learned).orElse(batches),
          warm.map(WarmStart::seen).orElse(null)));
    } finally {
      // Blocking: the cached minibatches are gone when the job returns, so a pipeline or sweep
      // training one model after another does not carry the last one's rows.
      train.unpersist(true);
      validation.unpersist(true);
    }
  }

  /**
   * @param replay the stored views the rows replay, if any
   * @param featureShape the rows' shape, for augmentation and views
   */
  public static TrainingEngine engine(TrainConfig config, JavaSparkContext jsc,
      MultiLayerNetwork network, String exportDir, ViewReplay replay,
      List<Integer> featureShape) {
    EpochRows rows = new EpochRows(config.batchSizePerWorker(), config.seed(), config.augment(),
        replay, featureShape);
    return switch (config.engine()) {
      case BARRIER -> new BarrierAveragingEngine(jsc, network, config.workers(),
          config.averagingFrequency(), rows, config.averagingPort());
      case DL4J -> new ParameterAveragingEngine(jsc, network, config.averagingFrequency(),
          config.prefetchBatches(), exportDir, rows);
    };
  }

  /**
   * The learning-rate schedule of a new network trained with {@code stepsPerEpoch} steps per
   * worker and epoch by {@code workers}, the rate scaled as train.spark.learning-rate-scaling
   * says; the warm-ups count each worker's minibatch steps.
   */
  public static void scheduleLearningRate(TrainConfig config, MultiLayerNetwork network, int workers,
      long stepsPerEpoch) {
    double factor = config.learningRateScaling().factor(workers);
    int warmup = (int) Math.ceil(config.warmupEpochs() * stepsPerEpoch);
    ModelFactory.scheduleLearningRate(network, config.updater(), stepsPerEpoch, factor, warmup);
    if (factor != 1) {
      LOG.info(String.format(Locale.ROOT, "learning rate x%.3f for %d workers (%s scaling), "
          + "reached after a warm-up of %d steps per worker", factor, workers,
          config.learningRateScaling().name().toLowerCase(Locale.ROOT), warmup));
    }
  }

  private void checkInputSuitsConfig(TrainingInput input) {
    if (config.alpha() > 0 && input.teacher() == TrainingInput.TeacherForm.NONE) {
      throw new DistillException("train.alpha = " + config.alpha() + " needs teacher scores, but "
          + config.input() + " has none (no teacher_logits or topk_* columns); set train.alpha "
          + "= 0 to train on hard labels, or score the examples with infer first");
    }
    config.classWeightsFor(input.shape().classCount());
    config.checkAugmentationFits(input.shape().featureShape());
    ViewReplay replay = input.replay(config);
    if (replay.active()) {
      LOG.info("replaying the {} views per row the teachers scored in {}", replay.views(),
          config.input());
    } else if (config.augment().active() && config.alpha() > 0) {
      LOG.warn("train.augment with train.alpha = {}: the student learns from views of the rows "
          + "while the teacher scored the rows themselves", config.alpha());
    }
  }

  /**
   * A new network, the newest checkpoint (--resume), the model a warm start continues, or the
   * model given by init-from.
   */
  private MultiLayerNetwork startingNetwork(Checkpoints checkpoints, List<TrainingLogEntry> log,
      Configuration conf, TableShape shape, Optional<WarmStart> warm) {
    if (config.resume()) {
      Optional<Integer> newest = checkpoints.newestEpoch();
      if (newest.isPresent()) {
        log.addAll(readLog(conf));
        log.removeIf(entry -> entry.epoch() > newest.get());
        LOG.info("resuming from the checkpoint of epoch {}", newest.get());
        return checkOutputWidth(checkpoints.load(newest.get()), shape, "checkpoint");
      }
      LOG.info("--resume: no checkpoint in {} yet; starting a new training", config.output());
    }
    if (warm.isPresent()) {
      return fineTuned(warm.get().network(), shape, "the model in " + config.output());
    }
    if (!config.model().initFrom().isEmpty()) {
      return fineTuned(Checkpoints.read(new Path(config.model().initFrom()), conf), shape,
          "train.model.init-from = " + config.model().initFrom());
    }
    return ModelFactory.create(config.model(), shape.featureShape(), shape.classCount(),
        config.loss(), config.updater(), config.seed());
  }

  /** A trained model to go on training: its weights, on this run's loss (alpha, T). */
  private MultiLayerNetwork fineTuned(MultiLayerNetwork initial, TableShape shape, String what) {
    var output = (org.deeplearning4j.nn.conf.layers.BaseOutputLayer) initial.getOutputLayer()
        .conf().getLayer();
    if (!(output.getActivationFn() instanceof ActivationIdentity)) {
      throw new DistillException(what + " ends in an output layer with "
          + output.getActivationFn() + " activation; training needs one that emits logits "
          + "(identity activation), as the models of train do");
    }
    output.setLossFn(config.loss());
    return checkOutputWidth(initial, shape, what);
  }

  /** The complete model of an earlier run of this config on this input, and its manifest. */
  private record PreviousModel(ModelManifest manifest, MultiLayerNetwork network) {}

  /**
   * A warm start: the model to continue, the batches it learned from, and the input's batches
   * it has not seen.
   */
  private record WarmStart(MultiLayerNetwork network, List<String> seen, List<String> fresh) {
    /** The training rows: every row of the new batches, a seeded share of the earlier ones. */
    Column keep(TrainConfig config) {
      long seed = config.seed();
      double fraction = config.replayFraction();
      // Salted with the new batches, so each run replays other earlier rows.
      String salt = "replay " + String.join(",", fresh);
      Column replayed = udf((UDF1<String, Boolean>) id -> SplitDraw.unit(seed, salt, id)
          < fraction, DataTypes.BooleanType).apply(col("id"));
      Column batch = col(config.batchColumn()).cast("string");
      return batch.isin(fresh.toArray()).or(batch.isin(seen.toArray()).and(replayed));
    }

    /** Every batch the model will have learned from. */
    List<String> learned() {
      java.util.TreeSet<String> all = new java.util.TreeSet<>(seen);
      all.addAll(fresh);
      return List.copyOf(all);
    }
  }

  /**
   * With train.warm-start, the model this config trained on this input's earlier state, read
   * into memory; none on a first run, after another config, or when nothing is new (the run
   * is then skipped).
   */
  private Optional<PreviousModel> previousModel(OutputDirectory out, TrainingInput input,
      Configuration conf) {
    if (!config.warmStart() || config.resume()) {
      return Optional.empty();
    }
    return out.completeManifest(ModelManifest.class)
        .filter(m -> m.batches() != null && m.input().equals(config.input())
            && m.configDigest().equals(config.configDigest())
            && !m.inputManifestDigest().equals(input.manifestDigest()))
        .map(m -> new PreviousModel(m, Checkpoints.read(out.child(MODEL_FILE), conf)));
  }

  private Optional<WarmStart> warmStart(PreviousModel previous, List<String> batches) {
    List<String> seen = previous.manifest().batches();
    if (!batches.containsAll(seen)) {
      LOG.info("{} no longer holds every batch the model in {} learned from ({}); a new "
          + "network trains on every row", config.input(), config.output(), seen);
      return Optional.empty();
    }
    List<String> fresh = batches.stream().filter(b -> !seen.contains(b)).toList();
    if (fresh.isEmpty()) {
      LOG.info("{} holds no batch the model in {} has not learned from, but has changed; a new "
          + "network trains on every row", config.input(), config.output());
      return Optional.empty();
    }
    LOG.info("warm start from the model in {} (batches {}): training on the new batches {} and "
        + "{} of the earlier batches' training rows", config.output(), seen, fresh,
        Settings.show(config.replayFraction()));
    return Optional.of(new WarmStart(previous.network(), seen, fresh));
  }

  private static MultiLayerNetwork checkOutputWidth(MultiLayerNetwork network, TableShape shape,
      String what) {
    long width = ModelFactory.outputWidth(network);
    if (width != shape.classCount()) {
      throw new DistillException(what + " has " + width + " outputs but the input has "
          + shape.classCount() + " classes");
    }
    return network;
  }

  private MultiLayerNetwork trainEpochs(SparkSession spark, JavaSparkContext jsc,
      TrainingEngine engine, MultiLayerNetwork start, JavaRDD<DataSet> train,
      JavaRDD<DataSet> validation, long trainRows, List<TrainingLogEntry> log,
      Checkpoints checkpoints, OutputDirectory out, Configuration conf) {
    MultiLayerNetwork network = start;
    double elapsedBefore = log.isEmpty() ? 0 : log.get(log.size() - 1).elapsedSeconds();
    long begin = System.nanoTime();
    for (int epoch = log.size() + 1; epoch <= config.epochs(); epoch++) {
      if (stopEarly(log)) {
        LOG.info("early stop: validation loss has not improved for {} epochs",
            config.earlyStoppingPatience());
        break;
      }
      network.getLayerWiseConfigurations().setEpochCount(epoch - 1);
      long epochStart = System.nanoTime();
      int current = epoch;
      network = SparkPhases.run(spark, "train: epoch " + epoch + " of " + config.epochs()
          + " on " + trainRows + " rows", () -> engine.fitEpoch(train, current));
      double seconds = (System.nanoTime() - epochStart) / 1e9;
      MultiLayerNetwork fitted = network;
      BatchMetrics metrics = SparkPhases.run(spark, "train: validating epoch " + current,
          () -> DistributedEvaluation.evaluate(jsc, fitted, validation));
      TrainingLogEntry entry = new TrainingLogEntry(epoch, engine.lastScore(),
          TrainingLogEntry.orNull(metrics.loss()), TrainingLogEntry.orNull(metrics.accuracy()),
          TrainingLogEntry.orNull(metrics.teacherAgreement()), trainRows, trainRows / seconds,
          seconds, elapsedBefore + (System.nanoTime() - begin) / 1e9);
      // The log first: a crash before the checkpoint then retrains this epoch on resume,
      // never twice from its own weights.
      log.add(entry);
      HadoopFiles.writeText(out.child(LOG_FILE), ManifestJson.write(log), conf);
      checkpoints.save(network, epoch);
      LOG.info(progressLine(entry));
    }
    return network;
  }

  static String progressLine(TrainingLogEntry e) {
    return String.format(Locale.ROOT, "epoch %d: train loss %.4f, validation loss %s, validation"
            + " accuracy %s, teacher agreement %s, %.0f rows/s, epoch %.1f s, elapsed %.1f s",
        e.epoch(), e.trainScore(), show(e.validationLoss(), "%.4f"),
        show(e.validationAccuracy(), "%.4f"), show(e.teacherAgreement(), "%.4f"),
        e.rowsPerSecond(), e.epochSeconds(), e.elapsedSeconds());
  }

  private static String show(Double value, String format) {
    return value == null ? "n/a" : String.format(Locale.ROOT, format, value);
  }

  private boolean stopEarly(List<TrainingLogEntry> log) {
    int patience = config.earlyStoppingPatience();
    if (patience == 0 || log.size() <= patience) {
      return false;
    }
    return log.size() - bestEpoch(log) >= patience;
  }

  /**
   * The epoch with the lowest validation loss (by at least min-delta); the last epoch when
   * there is no validation split or no finite loss. 0 only for an empty log.
   */
  int bestEpoch(List<TrainingLogEntry> log) {
    int best = 0;
    double bestLoss = Double.POSITIVE_INFINITY;
    for (TrainingLogEntry entry : log) {
      if (entry.validationLoss() == null) {
        return log.get(log.size() - 1).epoch();
      }
      if (entry.validationLoss() < bestLoss - config.earlyStoppingMinDelta()) {
        bestLoss = entry.validationLoss();
        best = entry.epoch();
      }
    }
    return best == 0 && !log.isEmpty() ? log.get(log.size() - 1).epoch() : best;
  }

  /**
   * @param batches the input's batches the model learned from (train.batch-column), or null
   * @param warmStartedFrom the batches of the model a warm start began with, or null
   */
  private ModelManifest finish(MultiLayerNetwork last, List<TrainingLogEntry> log,
      Checkpoints checkpoints, OutputDirectory out, Configuration conf, TrainingInput input,
      String started, List<String> batches, List<String> warmStartedFrom) {
    int best = bestEpoch(log);
    MultiLayerNetwork model = best == log.get(log.size() - 1).epoch() ? last
        : checkpoints.load(best);
    Checkpoints.write(model, out.child(MODEL_FILE), HadoopFiles.fs(out.path(), conf));
    TableShape shape = input.shape();
    return new ModelManifest(ModelManifest.SCHEMA_VERSION, ModelManifest.KIND,
        ProjectVersion.get(), started, Instant.now().toString(), config.input(),
        input.manifestDigest(), config.configDigest(),
        config.model().kind().name().toLowerCase(Locale.ROOT), model.numParams(),
        shape.featureShape(), shape.classCount(), shape.classNames(), config.alpha(),
        config.temperature(), log.size(), best, log.get(best - 1), MODEL_FILE, batches,
        warmStartedFrom);
  }

  private List<TrainingLogEntry> readLog(Configuration conf) {
    Path file = new OutputDirectory(config.output(), conf).child(LOG_FILE);
    if (!HadoopFiles.exists(file, conf)) {
      return List.of();
    }
    try {
      return JSON.readValue(HadoopFiles.readText(file.toString(), conf),
          new TypeReference<List<TrainingLogEntry>>() {});
    } catch (java.io.IOException e) {
      throw new DistillException("training log " + file + " is not readable: " + e.getMessage());
    }
  }
}
