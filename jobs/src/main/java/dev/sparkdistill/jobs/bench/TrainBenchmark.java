package dev.sparkdistill.jobs.bench;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.train.BatchMetrics;
import dev.sparkdistill.common.train.EpochOrder;
import dev.sparkdistill.common.train.Minibatches;
import dev.sparkdistill.common.train.ViewReplay;
import dev.sparkdistill.jobs.train.TrainJob;
import dev.sparkdistill.jobs.train.TrainingEngine;
import dev.sparkdistill.jobs.train.TrainingInput;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures what a user pays for training, in one run on the same data, cores and initial
 * weights: the wall time each training engine needs to reach the validation loss of a plain
 * single-JVM {@code MultiLayerNetwork.fit} (its best loss, within 2%), next to seconds per
 * epoch and the test accuracy after the same epochs. Every contender reorders its rows each
 * epoch as the train job does; the engines scale the learning rate as the job does. A
 * benchmark, not a job: it collects the training minibatches to the driver for the single-JVM
 * fit.
 */
public final class TrainBenchmark {
  /** How close to the single-JVM fit's best validation loss counts as reaching it. */
  static final double LOSS_TOLERANCE = 0.02;

  private final TrainConfig config;
  private final PrintWriter out;
  private TableShape shape;
  private ViewReplay replay = ViewReplay.NONE;

  public TrainBenchmark(TrainConfig config, PrintWriter out) {
    this.config = config;
    this.out = out;
  }

  /** One epoch of one contender. */
  record Epoch(int epoch, double seconds, double validationLoss) {}

  /** One contender's run: its epochs and the test accuracy after the last. */
  record Run(String name, List<Epoch> epochs, double testAccuracy) {
    double medianSeconds() {
      return median(epochs);
    }

    double bestLoss() {
      return epochs.stream().mapToDouble(Epoch::validationLoss).min().orElse(Double.NaN);
    }

    /** The first epoch whose validation loss is at most {@code target}, or null. */
    Epoch reaching(double target) {
      return epochs.stream().filter(e -> e.validationLoss() <= target).findFirst().orElse(null);
    }

    /** Seconds of fitting up to and including {@code epoch}. */
    double secondsThrough(Epoch epoch) {
      return epochs.stream().filter(e -> e.epoch() <= epoch.epoch())
          .mapToDouble(Epoch::seconds).sum();
    }
  }

  public void run(SparkSession spark, int[] plainThreads, List<TrainConfig.Engine> engines) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    TrainingInput input = TrainingInput.open(spark, config.input());
    shape = input.shape();
    config.checkAugmentationFits(shape.featureShape());
    replay = input.replay(config);
    Minibatches packer = new Minibatches(shape.featureCount(), shape.classCount(),
        config.classWeightsFor(shape.classCount()), (float) config.unlabeledWeight())
        .keepingViews(replay);
    boolean labeledOnly = config.alpha() == 0;
    JavaRDD<DataSet> train = input.batches(Split.TRAIN, packer, config.batchSizePerWorker(),
        labeledOnly).persist(StorageLevel.MEMORY_AND_DISK());
    List<DataSet> trainLocal = train.collect();
    Minibatches unweighted = new Minibatches(shape.featureCount(), shape.classCount(),
        config.classWeightsFor(shape.classCount(), true), (float) config.unlabeledWeight());
    List<DataSet> validation = input.batches(Split.VALIDATION, unweighted,
        config.batchSizePerWorker(), true).collect();
    List<DataSet> test = input.batches(Split.TEST, unweighted, config.batchSizePerWorker(),
        true).collect();
    long rows = trainLocal.stream().mapToLong(DataSet::numExamples).sum();
    out.printf(Locale.ROOT, "%d training rows in minibatches of %d, %d validation rows, %d test "
            + "rows, model %s %s, %d epochs, %d Spark task slots%n", rows,
        config.batchSizePerWorker(), rowsOf(validation), rowsOf(test), config.model().kind(),
        config.model().kind() == dev.sparkdistill.common.model.ModelSpec.Kind.CNN
            ? config.model().convChannels() + " " + config.model().hidden()
            : config.model().hidden(), config.epochs(), jsc.defaultParallelism());

    List<Run> runs = new ArrayList<>();
    for (int threads : plainThreads) {
      runs.add(measurePlain(threads, trainLocal, validation, test));
    }
    for (TrainConfig.Engine kind : engines) {
      runs.add(measureEngine(jsc, kind, train, rows, validation, test));
    }
    train.unpersist();
    print(runs);
  }

  private static long rowsOf(List<DataSet> batches) {
    return batches.stream().mapToLong(DataSet::numExamples).sum();
  }

  private Run measurePlain(int threads, List<DataSet> trainLocal, List<DataSet> validation,
      List<DataSet> test) {
    String name = "plain fit, " + threads + " thread" + (threads > 1 ? "s" : "");
    MultiLayerNetwork network = newNetwork();
    long steps = (rowsOf(trainLocal) + config.batchSizePerWorker() - 1)
        / config.batchSizePerWorker();
    TrainJob.scheduleLearningRate(config, network, 1, steps);
    List<Epoch> epochs = new ArrayList<>();
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      network.getLayerWiseConfigurations().setEpochCount(epoch - 1);
      long start = System.nanoTime();
      List<DataSet> ordered = EpochOrder.reshuffle(trainLocal, config.batchSizePerWorker(),
          config.seed(), epoch, 0, config.augment(), replay, shape.featureShape());
      setThreads(threads);
      network.fit(new ExistingDataSetIterator(ordered));
      double seconds = (System.nanoTime() - start) / 1e9;
      setThreads(1);
      epochs.add(validate(name, epoch, seconds, network, validation));
    }
    return new Run(name, epochs, accuracy(network, test));
  }

  private Run measureEngine(JavaSparkContext jsc, TrainConfig.Engine kind,
      JavaRDD<DataSet> train, long rows, List<DataSet> validation, List<DataSet> test) {
    String name = kind.name().toLowerCase(Locale.ROOT) + " engine";
    String exportDir = config.exportDirectory().isEmpty()
        ? System.getProperty("java.io.tmpdir") + "/distill-benchmark-export"
        : config.exportDirectory();
    MultiLayerNetwork network = newNetwork();
    List<Epoch> epochs = new ArrayList<>();
    try (TrainingEngine engine = TrainJob.engine(config, jsc, network, exportDir, replay,
        shape.featureShape())) {
      TrainJob.scheduleLearningRate(config, network, engine.workers(),
          engine.stepsPerEpoch(train, rows));
      for (int epoch = 1; epoch <= config.epochs(); epoch++) {
        network.getLayerWiseConfigurations().setEpochCount(epoch - 1);
        long start = System.nanoTime();
        MultiLayerNetwork fitted = engine.fitEpoch(train, epoch);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (fitted != network) {
          network.setParams(fitted.params());
          network.getLayerWiseConfigurations().setIterationCount(
              fitted.getLayerWiseConfigurations().getIterationCount());
        }
        epochs.add(validate(name, epoch, seconds, network, validation));
      }
    }
    return new Run(name, epochs, accuracy(network, test));
  }

  /** A fresh network with the same seed for every contender. */
  private MultiLayerNetwork newNetwork() {
    return ModelFactory.create(config.model(), shape.featureShape(), shape.classCount(),
        config.loss(), config.updater(),
        config.seed());
  }

  private Epoch validate(String name, int epoch, double seconds, MultiLayerNetwork network,
      List<DataSet> validation) {
    double loss = metrics(network, validation).loss();
    out.printf(Locale.ROOT, "  %-20s epoch %d: %6.2f s, validation loss %.4f%n", name, epoch,
        seconds, loss);
    out.flush();
    return new Epoch(epoch, seconds, loss);
  }

  private static BatchMetrics metrics(MultiLayerNetwork network, List<DataSet> batches) {
    BatchMetrics metrics = new BatchMetrics();
    for (DataSet batch : batches) {
      metrics.add(network.output(batch.getFeatures(), false), batch.getLabels());
    }
    return metrics;
  }

  private static double accuracy(MultiLayerNetwork network, List<DataSet> test) {
    return metrics(network, test).accuracy();
  }

  private static void setThreads(int threads) {
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.getEnvironment().setMaxThreads(threads);
  }

  private void print(List<Run> runs) {
    Run baseline = runs.stream().filter(run -> run.name().startsWith("plain"))
        .min((a, b) -> Double.compare(a.medianSeconds(), b.medianSeconds())).orElseThrow();
    double target = baseline.bestLoss() * (1 + LOSS_TOLERANCE);
    Epoch baseReach = baseline.reaching(target);
    double baseSeconds = baseline.secondsThrough(baseReach);
    out.printf(Locale.ROOT, "%nbaseline: %s (fastest single-JVM fit); target validation loss "
            + "%.4f (its best, %.4f, + %.0f%%), reached at epoch %d after %.1f s%n",
        baseline.name(), target, baseline.bestLoss(), LOSS_TOLERANCE * 100, baseReach.epoch(),
        baseSeconds);
    out.printf(Locale.ROOT, "%-22s %8s %7s %9s %9s %8s %9s %9s %9s%n", "contender", "s/epoch",
        "ratio", "to target", "seconds", "ratio", "best loss", "test acc", "vs base");
    for (Run run : runs) {
      Epoch reach = run.reaching(target);
      String epochs = reach == null ? "not in " + run.epochs().size() : "epoch " + reach.epoch();
      String seconds = reach == null ? "-" : String.format(Locale.ROOT, "%.1f",
          run.secondsThrough(reach));
      String ratio = reach == null ? "-" : String.format(Locale.ROOT, "%.2fx",
          run.secondsThrough(reach) / baseSeconds);
      out.printf(Locale.ROOT, "%-22s %8.2f %6.2fx %9s %9s %8s %9.4f %9.4f %+8.2f%n", run.name(),
          run.medianSeconds(), run.medianSeconds() / baseline.medianSeconds(), epochs, seconds,
          ratio, run.bestLoss(), run.testAccuracy(),
          100 * (run.testAccuracy() - baseline.testAccuracy()));
    }
    out.printf(Locale.ROOT, "(time to target counts fitting only, not validation; vs base: test "
        + "accuracy after the last epoch, in points against the baseline's)%n");
    out.flush();
  }

  /** Median seconds per epoch, leaving out the first (JIT and export warm-up) when possible. */
  static double median(List<Epoch> run) {
    double[] seconds = run.stream().skip(run.size() > 2 ? 1 : 0).mapToDouble(Epoch::seconds)
        .sorted().toArray();
    int n = seconds.length;
    return n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2;
  }
}
