package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.model.ConvolutionHelpers;
import dev.sparkdistill.common.train.BatchMetrics;
import dev.sparkdistill.jobs.runtime.TaskBackend;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Validation metrics computed where the minibatches are: the network's configuration and
 * parameters are broadcast, each partition scores its batches, and one small
 * {@link BatchMetrics} per partition comes back to the driver.
 */
final class DistributedEvaluation {
  private DistributedEvaluation() {}

  static BatchMetrics evaluate(JavaSparkContext jsc, MultiLayerNetwork network,
      JavaRDD<DataSet> batches) {
    Broadcast<String> conf = jsc.broadcast(network.getLayerWiseConfigurations().toJson());
    Broadcast<INDArray> params = jsc.broadcast(network.params().dup());
    try {
      List<BatchMetrics> parts = batches.mapPartitions(
          it -> List.of(score(it, conf.value(), params.value())).iterator()).collect();
      return parts.stream().reduce(new BatchMetrics(), BatchMetrics::merge);
    } finally {
      conf.destroy();
      params.destroy();
    }
  }

  private static BatchMetrics score(Iterator<DataSet> batches, String conf, INDArray params) {
    TaskBackend.prepare();
    BatchMetrics metrics = new BatchMetrics();
    if (!batches.hasNext()) {
      return metrics;
    }
    MultiLayerNetwork network = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf));
    network.init(params, true);
    ConvolutionHelpers.attach(network);
    while (batches.hasNext()) {
      DataSet batch = batches.next();
      metrics.add(network.output(batch.getFeatures(), false), batch.getLabels());
    }
    return metrics;
  }
}
