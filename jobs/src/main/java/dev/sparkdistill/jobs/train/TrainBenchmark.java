package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.train.BatchMetrics;
import dev.sparkdistill.common.train.Minibatches;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures, in one run on the same data, cores and initial weights: seconds per epoch and
 * validation loss per epoch of each training engine against a plain single-JVM
 * {@code MultiLayerNetwork.fit} over the same minibatches already in memory. A benchmark, not a
 * job: it collects the training minibatches to the driver for the single-JVM baseline.
 */
public final class TrainBenchmark {
  private final TrainConfig config;
  private final PrintWriter out;
  private TableShape shape;

  public TrainBenchmark(TrainConfig config, PrintWriter out) {
    this.config = config;
    this.out = out;
  }

  /** One row of the printed table. */
  record Epoch(String name, int epoch, double seconds, double validationLoss) {}

  public void run(SparkSession spark, int[] plainThreads) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    TrainingInput input = TrainingInput.open(spark, config.input());
    shape = input.shape();
    Minibatches packer = new Minibatches(shape.featureCount(), shape.classCount(),
        config.classWeightsFor(shape.classCount()), (float) config.unlabeledWeight());
    boolean labeledOnly = config.alpha() == 0;
    JavaRDD<DataSet> train = input.batches(Split.TRAIN, packer, config.batchSizePerWorker(),
        labeledOnly).persist(StorageLevel.MEMORY_AND_DISK());
    List<DataSet> trainLocal = train.collect();
    List<DataSet> validation = input.batches(Split.VALIDATION, packer,
        config.batchSizePerWorker(), labeledOnly).collect();
    long rows = trainLocal.stream().mapToLong(DataSet::numExamples).sum();
    out.printf(Locale.ROOT, "%d training rows in %d minibatches of %d, %d validation rows, "
            + "model %s %s, %d Spark task slots%n", rows, trainLocal.size(),
        config.batchSizePerWorker(), validation.stream().mapToLong(DataSet::numExamples).sum(),
        config.model().kind(), config.model().hidden(), jsc.defaultParallelism());

    List<List<Epoch>> runs = new ArrayList<>();
    for (int threads : plainThreads) {
      runs.add(measure("plain fit, " + threads + " thread" + (threads > 1 ? "s" : ""), validation,
          network -> {
            setThreads(threads);
            long start = System.nanoTime();
            network.fit(new ExistingDataSetIterator(trainLocal));
            setThreads(1);
            return (System.nanoTime() - start) / 1e9;
          }));
    }
    for (TrainConfig.Engine kind : TrainConfig.Engine.values()) {
      runs.add(measureEngine(jsc, kind, train, validation));
    }
    train.unpersist();
    print(runs);
  }

  private List<Epoch> measureEngine(JavaSparkContext jsc, TrainConfig.Engine kind,
      JavaRDD<DataSet> train, List<DataSet> validation) {
    MultiLayerNetwork[] current = new MultiLayerNetwork[1];
    String exportDir = config.exportDirectory().isEmpty()
        ? System.getProperty("java.io.tmpdir") + "/distill-benchmark-export"
        : config.exportDirectory();
    TrainingEngine[] engine = new TrainingEngine[1];
    List<Epoch> epochs = measure(kind.name().toLowerCase(Locale.ROOT) + " engine", validation,
        network -> {
          if (engine[0] == null) {
            current[0] = network;
            engine[0] = kind == TrainConfig.Engine.BARRIER
                ? new BarrierAveragingEngine(jsc, network, config.workers(),
                    config.averagingFrequency(), config.averagingPort())
                : new ParameterAveragingEngine(jsc, network, config.batchSizePerWorker(),
                    config.averagingFrequency(), config.prefetchBatches(), exportDir,
                    config.seed());
          }
          long start = System.nanoTime();
          MultiLayerNetwork fitted = engine[0].fitEpoch(train);
          double seconds = (System.nanoTime() - start) / 1e9;
          if (fitted != current[0]) {
            current[0].setParams(fitted.params());
          }
          return seconds;
        });
    engine[0].close();
    return epochs;
  }

  /** Trains a fresh network (same seed for every contender) for the configured epochs. */
  private List<Epoch> measure(String name, List<DataSet> validation,
      Function<MultiLayerNetwork, Double> fitOneEpoch) {
    MultiLayerNetwork network = ModelFactory.create(config.model(), shape.featureShape(),
        shape.classCount(), new DistillationLoss(config.alpha(), config.temperature()), config.updater(),
        config.seed());
    List<Epoch> epochs = new ArrayList<>();
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      network.getLayerWiseConfigurations().setEpochCount(epoch - 1);
      double seconds = fitOneEpoch.apply(network);
      BatchMetrics metrics = new BatchMetrics();
      for (DataSet batch : validation) {
        metrics.add(network.output(batch.getFeatures(), false), batch.getLabels());
      }
      epochs.add(new Epoch(name, epoch, seconds, metrics.loss()));
      out.printf(Locale.ROOT, "  %-20s epoch %d: %6.2f s, validation loss %.4f%n", name, epoch,
          seconds, metrics.loss());
      out.flush();
    }
    return epochs;
  }

  private static void setThreads(int threads) {
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.getEnvironment().setMaxThreads(threads);
  }

  private void print(List<List<Epoch>> runs) {
    List<Epoch> baseline = runs.stream().filter(run -> run.get(0).name().startsWith("plain"))
        .min((a, b) -> Double.compare(median(a), median(b))).orElseThrow();
    out.printf(Locale.ROOT, "%nbaseline: %s (fastest single-JVM fit)%n", baseline.get(0).name());
    out.printf(Locale.ROOT, "%-22s %14s %10s %22s%n", "contender", "median s/epoch", "ratio",
        "final val loss (ratio)");
    for (List<Epoch> run : runs) {
      Epoch last = run.get(run.size() - 1);
      Epoch baseLast = baseline.get(baseline.size() - 1);
      out.printf(Locale.ROOT, "%-22s %14.2f %9.2fx %14.4f (%.2fx)%n", run.get(0).name(),
          median(run), median(run) / median(baseline), last.validationLoss(),
          last.validationLoss() / baseLast.validationLoss());
    }
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
