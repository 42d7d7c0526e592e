package dev.sparkdistill.jobs.train;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Fits a network on minibatches spread over the executors. The only place that knows how the
 * distributed fitting is done: DL4J has deprecated its Spark module, so a faster engine can
 * replace {@link ParameterAveragingEngine} behind this interface.
 */
public interface TrainingEngine extends AutoCloseable {
  /**
   * One pass over {@code batches}, their rows in the order {@link
   * dev.sparkdistill.common.train.EpochOrder} gives {@code epoch} (1-based); pass the same RDD
   * every epoch so an engine may reuse work done on it (an engine that keeps its own copy may
   * unpersist it). Returns the driver's network after the pass.
   */
  MultiLayerNetwork fitEpoch(JavaRDD<DataSet> batches, int epoch);

  /** How many workers fit in parallel: the factor of the linear learning-rate scaling. */
  int workers();

  /**
   * The minibatch steps each worker takes per epoch on {@code batches} ({@code rows} rows), which
   * the learning-rate schedule counts in; the same RDD as {@link #fitEpoch} gets.
   */
  long stepsPerEpoch(JavaRDD<DataSet> batches, long rows);

  /** The mean minibatch loss the engine saw last (before averaging), for progress lines. */
  double lastScore();

  @Override
  void close();
}
