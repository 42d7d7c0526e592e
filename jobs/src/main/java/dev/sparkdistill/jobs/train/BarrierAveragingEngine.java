package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.model.ConvolutionHelpers;
import dev.sparkdistill.common.train.AveragingHandshake;
import dev.sparkdistill.common.train.EpochOrder;
import dev.sparkdistill.common.train.WorkerState;
import dev.sparkdistill.jobs.runtime.TaskBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.JavaConverters;

/**
 * Synchronous parameter averaging in one Spark barrier stage per epoch. Each of W tasks builds
 * the network once per epoch, puts its rows in the epoch's order ({@link EpochOrder}) and fits
 * {@code averagingFrequency} minibatches per round; at the end of a round all tasks send their
 * parameters and updater state to an {@link AveragingServer} on the driver and continue from the
 * average (weighted by rows fitted). Task 0 returns the final state to the driver.
 *
 * <p>Why not DL4J's ParameterAveragingTrainingMaster: it runs a Spark job, a broadcast and a
 * network rebuild per averaging round; and not Spark's own barrier allGather: it polls for
 * completion once a second. Operational facts: the barrier stage needs W task slots at once;
 * executors must reach the driver on the averaging port ({@code train.spark.averaging-port},
 * ephemeral by default), as they reach its RPC port. Only this run's tasks take part: each
 * proves a secret drawn per epoch and shipped in its closure before it counts as a worker, and
 * every state on the wire is checked against the model's size ({@link AveragingServer}). The
 * minibatches are repartitioned once into W partitions (round robin, so a sorted table is
 * spread over all workers) and kept in memory and on disk; the engine then releases the
 * caller's cached copy.
 */
final class BarrierAveragingEngine implements TrainingEngine {
  private final JavaSparkContext jsc;
  private final int workers;
  private final int averagingFrequency;
  private final int batchSize;
  private final EpochRows epochRows;
  private final int port;
  private MultiLayerNetwork network;
  private JavaRDD<DataSet> source;
  private JavaRDD<DataSet> partitioned;
  private int rounds;
  private double lastScore = Double.NaN;

  BarrierAveragingEngine(JavaSparkContext jsc, MultiLayerNetwork network, int workers,
      int averagingFrequency, EpochRows epochRows, int port) {
    this.jsc = jsc;
    this.network = network;
    this.workers = workers > 0 ? workers : jsc.defaultParallelism();
    this.averagingFrequency = averagingFrequency;
    this.batchSize = epochRows.batchSize();
    this.epochRows = epochRows;
    this.port = port;
  }

  @Override
  public int workers() {
    return workers;
  }

  /** Every worker takes as many steps as the one with the most rows (the others idle). */
  @Override
  public long stepsPerEpoch(JavaRDD<DataSet> batches, long rows) {
    repartition(batches);
    return (long) rounds * averagingFrequency;
  }

  @Override
  public MultiLayerNetwork fitEpoch(JavaRDD<DataSet> batches, int epoch) {
    repartition(batches);
    SparkConf conf = jsc.getConf();
    String host = conf.get("spark.driver.host", "127.0.0.1");
    // A fresh secret per epoch; the tasks receive it in their closure, as Spark ships it.
    byte[] secret = AveragingHandshake.newSecret();
    WorkerState.Shape shape = new WorkerState.Shape((int) network.numParams(),
        network.getUpdater().getStateViewArray() == null ? -1
            : (int) network.getUpdater().getStateViewArray().length());
    try (AveragingServer server = new AveragingServer(
        conf.get("spark.driver.bindAddress", host), port, workers, rounds, secret, shape,
        AveragingServer.Timeouts.DEFAULT)) {
      Broadcast<String> json = jsc.broadcast(network.getLayerWiseConfigurations().toJson());
      Broadcast<WorkerState> start = jsc.broadcast(new WorkerState(0, 0,
          network.params().toFloatVector(), updaterState(network)));
      EpochTask task = new EpochTask(json, start, new EpochTask.Plan(averagingFrequency, rounds,
          epochRows, epoch, secret, shape), host, server.port());
      // If the averaging fails (a worker died, or sent garbage) the epoch's stage is cancelled
      // at once, so the run stops naming the cause instead of Spark retrying a barrier stage
      // that can no longer reach an averaging port.
      org.apache.spark.SparkContext sc = jsc.sc();
      String group = "distill-averaging-epoch-" + epoch + "-" + java.util.UUID.randomUUID();
      String outerGroup = sc.getLocalProperty(JOB_GROUP);
      sc.setLocalProperty(JOB_GROUP, group);
      server.onFailure(() -> sc.cancelJobGroup(group));
      List<WorkerState> results;
      try {
        results = new JavaRDD<>(partitioned.rdd().barrier().mapPartitions(task, false,
            scala.reflect.ClassTag$.MODULE$.apply(WorkerState.class)),
            scala.reflect.ClassTag$.MODULE$.apply(WorkerState.class)).collect();
      } catch (Exception e) { // Spark's job failure is a checked SparkException, undeclared
        if (e instanceof DistillException distill) {
          throw distill;
        }
        // Spark's reason is several lines (the stage, then the task's, then a stack trace):
        // the first two say what happened, e.g. which executor was lost.
        String spark = e.getMessage() == null ? e.toString() : String.join(" ",
            e.getMessage().lines().takeWhile(l -> !l.startsWith("Driver stacktrace"))
                .limit(2).toList());
        String averaging = server.failureOnceTheStageFailed(Duration.ofSeconds(10))
            .map(cause -> "parameter averaging: " + cause.getMessage() + "; ").orElse("");
        throw new DistillException("epoch " + epoch + " failed: " + averaging + "Spark: "
            + spark + " (continue from the last checkpoint with --resume)", e);
      } finally {
        sc.setLocalProperty(JOB_GROUP, outerGroup);
        json.destroy();
        start.destroy();
      }
      server.awaitDone();
      apply(results);
      return network;
    }
  }

  /** Deals {@code batches} to the workers, once per RDD. */
  private void repartition(JavaRDD<DataSet> batches) {
    if (source == batches) {
      return;
    }
    close();
    source = batches;
    partitioned = batches.repartition(workers).persist(StorageLevel.MEMORY_AND_DISK());
    int frequency = averagingFrequency;
    int size = batchSize;
    // Workers re-cut their rows into minibatches every epoch, so rounds follow from rows.
    rounds = partitioned.mapPartitions(it -> {
      long rows = 0;
      while (it.hasNext()) {
        rows += it.next().numExamples();
      }
      long minibatches = (rows + size - 1) / size;
      return List.of((int) ((minibatches + frequency - 1) / frequency)).iterator();
    }).collect().stream().mapToInt(Integer::intValue).max().orElse(0);
    // The repartitioned copy is materialised now; keeping the caller's too would cache the
    // training minibatches twice for the whole run.
    batches.unpersist(false);
  }

  private void apply(List<WorkerState> results) {
    WorkerState end = results.stream().filter(r -> r.updater() != null || r.params() != null)
        .findFirst().orElseThrow();
    long rows = results.stream().mapToLong(WorkerState::rows).sum();
    lastScore = rows == 0 ? Double.NaN
        : results.stream().mapToDouble(WorkerState::scoreSum).sum() / rows;
    network.setParams(Nd4j.create(end.params()).reshape(1, end.params().length));
    INDArray updater = network.getUpdater().getStateViewArray();
    if (end.updater() != null && updater != null) {
      updater.assign(Nd4j.create(end.updater()).reshape(updater.shape()));
    }
    var conf = network.getLayerWiseConfigurations();
    conf.setIterationCount(conf.getIterationCount() + rounds * averagingFrequency);
  }

  private static float[] updaterState(MultiLayerNetwork network) {
    INDArray state = network.getUpdater().getStateViewArray();
    return state == null ? null : state.toFloatVector();
  }

  /** Spark's local property naming the job group a thread's jobs belong to. */
  private static final String JOB_GROUP = "spark.jobGroup.id";

  /** How long a task tries to reach the driver's averaging port. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofMinutes(1);

  /** The barrier task, a Scala function since only the Scala RDD API has barrier(). */
  private static final class EpochTask extends scala.runtime.AbstractFunction1<
      scala.collection.Iterator<DataSet>, scala.collection.Iterator<WorkerState>>
      implements java.io.Serializable {
    /**
     * What every task of one epoch agrees on, with the averaging channel's secret and the
     * lengths its states must have.
     */
    record Plan(int frequency, int rounds, EpochRows rows, int epoch, byte[] secret,
        WorkerState.Shape shape) implements java.io.Serializable {}

    private final Broadcast<String> json;
    private final Broadcast<WorkerState> start;
    private final Plan plan;
    private final String host;
    private final int port;

    EpochTask(Broadcast<String> json, Broadcast<WorkerState> start, Plan plan, String host,
        int port) {
      this.json = json;
      this.start = start;
      this.plan = plan;
      this.host = host;
      this.port = port;
    }

    @Override
    public scala.collection.Iterator<WorkerState> apply(scala.collection.Iterator<DataSet> data) {
      TaskBackend.prepare();
      List<DataSet> held = new ArrayList<>();
      JavaConverters.asJavaIteratorConverter(data).asJava().forEachRemaining(held::add);
      List<DataSet> batches = plan.rows().of(held, plan.epoch(),
          org.apache.spark.TaskContext.getPartitionId());
      WorkerState result;
      int worker = org.apache.spark.TaskContext.getPartitionId();
      try (AveragingClient driver = new AveragingClient(host, port, worker, plan.secret(),
          plan.shape(), CONNECT_TIMEOUT, AveragingServer.Timeouts.DEFAULT.round())) {
        result = work(batches, held.stream().mapToLong(DataSet::numExamples).sum(), driver);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot average parameters with the driver at " + host
            + ":" + port, e);
      }
      return JavaConverters.asScalaIteratorConverter(List.of(result).iterator()).asScala();
    }

    private WorkerState work(List<DataSet> batches, long rowsHeld, AveragingClient driver)
        throws IOException {
      WorkerState initial = start.value();
      MultiLayerNetwork network = new MultiLayerNetwork(
          MultiLayerConfiguration.fromJson(json.value()));
      network.init(Nd4j.create(initial.params()).reshape(1, initial.params().length), true);
      ConvolutionHelpers.attach(network);
      setUpdater(network, initial.updater());
      long epochRows = 0;
      double epochScore = 0;
      WorkerState average = initial;
      EpochProgress progress = new EpochProgress(plan.epoch(),
          org.apache.spark.TaskContext.getPartitionId(), rowsHeld);
      int frequency = plan.frequency();
      for (int round = 0; round < plan.rounds(); round++) {
        long rows = 0;
        double score = 0;
        int end = Math.min(batches.size(), (round + 1) * frequency);
        for (int b = round * frequency; b < end; b++) {
          DataSet batch = batches.get(b);
          network.fit(batch);
          rows += batch.numExamples();
          score += network.score() * batch.numExamples();
          progress.fitted(batch.numExamples());
        }
        epochRows += rows;
        epochScore += score;
        // The updater state too, every round: workers whose Adam moments drift apart between
        // averagings step inconsistently from the shared parameters.
        average = driver.exchange(new WorkerState(rows, score, network.params().toFloatVector(),
            updaterState(network)));
        network.setParams(Nd4j.create(average.params()).reshape(1, network.numParams()));
        setUpdater(network, average.updater());
      }
      boolean first = org.apache.spark.TaskContext.getPartitionId() == 0;
      return new WorkerState(epochRows, epochScore, first ? average.params() : null,
          first ? average.updater() : null);
    }

    private static void setUpdater(MultiLayerNetwork network, float[] state) {
      INDArray view = network.getUpdater().getStateViewArray();
      if (state != null && view != null) {
        view.assign(Nd4j.create(state).reshape(view.shape()));
      }
    }
  }

  @Override
  public double lastScore() {
    return lastScore;
  }

  @Override
  public void close() {
    if (partitioned != null) {
      partitioned.unpersist(true);
      partitioned = null;
    }
  }
}
