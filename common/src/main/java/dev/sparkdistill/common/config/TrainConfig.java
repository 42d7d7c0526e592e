package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.train.Augmentation;
import java.io.Serializable;
import java.util.List;

/** The validated configuration of the {@code train} job (section {@code train}). */
public record TrainConfig(
    String input,
    String output,
    WriteMode mode,
    boolean resume,
    double alpha,
    double temperature,
    double unlabeledWeight,
    List<Double> classWeights,
    double labelSmoothing,
    Augmentation augment,
    boolean replayViews,
    String batchColumn,
    boolean warmStart,
    double replayFraction,
    int epochs,
    long seed,
    int earlyStoppingPatience,
    double earlyStoppingMinDelta,
    Updater updater,
    ModelSpec model,
    Engine engine,
    int workers,
    int averagingPort,
    int batchSizePerWorker,
    int averagingFrequency,
    LearningRateScaling learningRateScaling,
    double warmupEpochs,
    int prefetchBatches,
    String exportDirectory,
    String configDigest) implements Serializable {

  public static final String SECTION = "train";

  public enum UpdaterKind { ADAM, NESTEROVS, SGD }

  /** How training is spread over the executors. */
  public enum Engine { BARRIER, DL4J }

  /** How the learning rate moves over the epochs ({@code train.updater.schedule}). */
  public enum Schedule { EXPONENTIAL, COSINE, STEP }

  /**
   * The optimizer and its learning-rate schedule. {@code epochs} is the span of the schedule
   * (train.epochs), which the cosine schedule decays over.
   */
  public record Updater(UpdaterKind kind, double learningRate, Schedule schedule,
      double decayPerEpoch, int stepEpochs, double stepFactor, double warmupEpochs,
      double weightDecay, int epochs) implements Serializable {

    /** A constant or exponentially decaying rate, no warm-up, no weight decay. */
    public Updater(UpdaterKind kind, double learningRate, double decayPerEpoch) {
      this(kind, learningRate, Schedule.EXPONENTIAL, decayPerEpoch, 1, 1, 0, 0, 1);
    }
  }

  /**
   * How the learning rate grows with the number of workers W whose steps are averaged (which
   * acts like a W times larger minibatch): linear (x W, Goyal et al. 2017), square root
   * (x sqrt(W), proposed for Adam by Malladi et al. 2022) or none.
   */
  public enum LearningRateScaling {
    LINEAR, SQRT, NONE;

    /** The factor for {@code workers} workers. */
    public double factor(int workers) {
      return switch (this) {
        case LINEAR -> workers;
        case SQRT -> Math.sqrt(workers);
        case NONE -> 1;
      };
    }
  }

  public static TrainConfig from(Config config) {
    Settings s = new Settings(config);
    String p = SECTION + ".";
    double temperature = s.number(p + "temperature");
    if (temperature <= 0) {
      throw Settings.invalid(p + "temperature", "> 0", temperature);
    }
    double unlabeledWeight = s.number(p + "unlabeled-weight");
    if (unlabeledWeight < 0) {
      throw Settings.invalid(p + "unlabeled-weight", ">= 0", unlabeledWeight);
    }
    List<Double> classWeights = numberList(s, p + "class-weights");
    double labelSmoothing = s.fraction(p + "label-smoothing", 0, 1, true);
    if (labelSmoothing > 0 && s.fraction(p + "alpha", 0, 1, false) == 1) {
      throw new InvalidConfigException(p + "label-smoothing = " + labelSmoothing + " smooths "
          + "the hard-label term, which " + p + "alpha = 1 leaves out; set it to 0 or lower alpha");
    }
    int epochs = s.integerAtLeast(p + "epochs", 1);
    double warmupEpochs = s.number(p + "spark.warmup-epochs");
    if (!(warmupEpochs >= 0) || Double.isInfinite(warmupEpochs)) {
      throw Settings.invalid(p + "spark.warmup-epochs", ">= 0", warmupEpochs);
    }
    double minDelta = s.number(p + "early-stopping-min-delta");
    if (minDelta < 0) {
      throw Settings.invalid(p + "early-stopping-min-delta", ">= 0", minDelta);
    }
    return new TrainConfig(
        s.required(p + "input", "the examples or targets table to train on"),
        s.required(p + "output", "where to write the model (a directory)"),
        s.choice(p + "mode", WriteMode.class),
        s.bool(p + "resume"),
        s.fraction(p + "alpha", 0, 1, false),
        temperature,
        unlabeledWeight,
        classWeights,
        labelSmoothing,
        new Augmentation(s.integerAtLeast(p + "augment.translate", 0),
            s.bool(p + "augment.flip"), s.integerAtLeast(p + "augment.cutout", 0)),
        s.bool(p + "replay-views"),
        batchColumn(s, p),
        s.bool(p + "warm-start"),
        s.fraction(p + "replay-fraction", 0, 1, false),
        epochs,
        s.integer(p + "seed"),
        s.integerAtLeast(p + "early-stopping-patience", 0),
        minDelta,
        updater(s, p + "updater.", epochs),
        ModelSpec.from(s, p + "model."),
        s.choice(p + "spark.engine", Engine.class),
        s.integerAtLeast(p + "spark.workers", 0),
        port(s, p + "spark.averaging-port"),
        s.integerAtLeast(p + "spark.batch-size-per-worker", 1),
        s.integerAtLeast(p + "spark.averaging-frequency", 1),
        s.choice(p + "spark.learning-rate-scaling", LearningRateScaling.class),
        warmupEpochs,
        s.integerAtLeast(p + "spark.prefetch-batches", 0),
        s.string(p + "spark.export-directory"),
        ConfigRendering.digest(config, SECTION, "mode", "resume", "spark.export-directory",
            "spark.averaging-port"));
  }

  private static String batchColumn(Settings s, String p) {
    String column = s.string(p + "batch-column");
    if (column.isEmpty() && s.bool(p + "warm-start")) {
      throw new InvalidConfigException(p + "warm-start needs " + p + "batch-column: the "
          + "input's batches tell a warm start which rows are new");
    }
    return column;
  }

  private static Updater updater(Settings s, String p, int epochs) {
    double learningRate = s.number(p + "learning-rate");
    if (learningRate <= 0) {
      throw Settings.invalid(p + "learning-rate", "> 0", learningRate);
    }
    Schedule schedule = s.choice(p + "schedule", Schedule.class);
    double decay = s.number(p + "decay-per-epoch");
    if (decay <= 0 || decay > 1) {
      throw Settings.invalid(p + "decay-per-epoch", "in (0, 1]", decay);
    }
    if (decay != 1 && schedule != Schedule.EXPONENTIAL) {
      throw new InvalidConfigException(p + "decay-per-epoch = " + decay + " applies to "
          + p + "schedule = exponential only, but the schedule is "
          + Settings.spelling(schedule) + "; leave it at 1.0");
    }
    double stepFactor = s.number(p + "step-factor");
    if (!(stepFactor > 0 && stepFactor <= 1)) {
      throw Settings.invalid(p + "step-factor", "in (0, 1]", stepFactor);
    }
    double warmupEpochs = s.number(p + "warmup-epochs");
    if (!(warmupEpochs >= 0) || warmupEpochs > epochs) {
      throw Settings.invalid(p + "warmup-epochs", "from 0 to train.epochs (" + epochs + ")",
          warmupEpochs);
    }
    double weightDecay = s.number(p + "weight-decay");
    if (!(weightDecay >= 0) || weightDecay >= 1) {
      throw Settings.invalid(p + "weight-decay", "in [0, 1)", weightDecay);
    }
    return new Updater(s.choice(p + "kind", UpdaterKind.class), learningRate, schedule, decay,
        s.integerAtLeast(p + "step-epochs", 1), stepFactor, warmupEpochs, weightDecay, epochs);
  }

  /** The training loss this config asks for. */
  public DistillationLoss loss() {
    return new DistillationLoss(alpha, temperature, labelSmoothing);
  }

  /** Refuses augmentation that the input's rows cannot take: they must be images big enough. */
  public void checkAugmentationFits(List<Integer> featureShape) {
    augment.checkFits(SECTION + ".augment", featureShape);
  }

  private void classWeightsChecked(int classCount) {
    if (!classWeights.isEmpty() && classWeights.size() != classCount) {
      throw new InvalidConfigException("train.class-weights lists " + classWeights.size()
          + " weights but the input has " + classCount + " classes");
    }
  }

  private static int port(Settings s, String key) {
    int port = s.integerAtLeast(key, 0);
    if (port > 65535) {
      throw Settings.invalid(key, "a port from 0 to 65535", port);
    }
    return port;
  }

  private static List<Double> numberList(Settings s, String key) {
    List<Double> values = s.numberList(key);
    for (double value : values) {
      if (!(value >= 0) || Double.isInfinite(value)) {
        throw Settings.invalid(key, "a list of finite numbers >= 0", values);
      }
    }
    return values;
  }

  /** The weight of each class in the hard-label term. */
  public float[] classWeightsFor(int classCount) {
    return classWeightsFor(classCount, false);
  }

  /** The class weights, or all ones when {@code unit} (for validation metrics). */
  public float[] classWeightsFor(int classCount, boolean unit) {
    classWeightsChecked(classCount);
    if (classWeights.isEmpty() || unit) {
      float[] ones = new float[classCount];
      java.util.Arrays.fill(ones, 1f);
      return ones;
    }
    float[] weights = new float[classCount];
    for (int i = 0; i < classCount; i++) {
      weights[i] = classWeights.get(i).floatValue();
    }
    return weights;
  }
}
