package dev.sparkdistill.jobs.train;

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
 * minibatches are exported once to the export directory (the "Export" approach; DL4J reuses the
 * export while the same RDD is fitted again), so later epochs read them back from there.
 */
final class ParameterAveragingEngine implements TrainingEngine {
  private final SparkDl4jMultiLayer sparkNetwork;
  private final ParameterAveragingTrainingMaster master;

  ParameterAveragingEngine(JavaSparkContext jsc, MultiLayerNetwork network, int batchSize,
      int averagingFrequency, int prefetchBatches, String exportDirectory, long seed) {
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
  public MultiLayerNetwork fitEpoch(JavaRDD<DataSet> batches) {
    return sparkNetwork.fit(batches);
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
