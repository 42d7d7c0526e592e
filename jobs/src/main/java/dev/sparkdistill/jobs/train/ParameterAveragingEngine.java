package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.train.EpochOrder;
import dev.sparkdistill.jobs.runtime.TaskBackend;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;

/**
 * DL4J Spark's synchronous parameter averaging: each worker fits {@code averagingFrequency}
 * minibatches, then the driver averages parameters and updater state and broadcasts them. The
 * minibatches, their rows in the epoch's order within each partition ({@link EpochOrder}), are
 * exported to the export directory every epoch (the "Export" approach; DL4J replaces the previous
 * epoch's export) and read back from there by the workers.
 */
final class ParameterAveragingEngine implements TrainingEngine {
  private final SparkDl4jMultiLayer sparkNetwork;
  private final ParameterAveragingTrainingMaster master;
  private final int batchSize;
  private final EpochRows epochRows;

  ParameterAveragingEngine(JavaSparkContext jsc, MultiLayerNetwork network,
      int averagingFrequency, int prefetchBatches, String exportDirectory, EpochRows epochRows) {
    this.batchSize = epochRows.batchSize();
    this.epochRows = epochRows;
    long seed = epochRows.seed();
    master = new ParameterAveragingTrainingMaster.Builder(batchSize)
        .batchSizePerWorker(batchSize)
        .averagingFrequency(averagingFrequency)
        .workerPrefetchNumBatches(prefetchBatches)
        .rddTrainingApproach(RDDTrainingApproach.Export)
        .exportDirectory(exportDirectory)
        .saveUpdater(true)
        .rngSeed(seed)
        .build();
    sparkNetwork = new SparkDl4jMultiLayer(jsc, network, master);
  }

  @Override
  public int workers() {
    return sparkNetwork.getSparkContext().defaultParallelism();
  }

  /** An estimate: DL4J splits the rows into its own rounds. */
  @Override
  public long stepsPerEpoch(JavaRDD<DataSet> batches, long rows) {
    long perRound = (long) workers() * batchSize;
    return (rows + perRound - 1) / perRound;
  }

  @Override
  public MultiLayerNetwork fitEpoch(JavaRDD<DataSet> batches, int epoch) {
    EpochRows rows = epochRows;
    return sparkNetwork.fit(batches.mapPartitionsWithIndex((partition, it) -> {
      TaskBackend.prepare();
      List<DataSet> held = new ArrayList<>();
      it.forEachRemaining(held::add);
      return rows.of(held, epoch, partition).iterator();
    }, true));
  }

  @Override
  public double lastScore() {
    return sparkNetwork.getScore();
  }

  @Override
  public void close() {
    master.deleteTempFiles(sparkNetwork.getSparkContext());
  }
}
