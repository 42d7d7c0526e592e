package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.train.Augmentation;
import dev.sparkdistill.common.train.EpochOrder;
import java.io.Serializable;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;

/**
 * How a worker turns the minibatches it holds into an epoch's minibatches: its rows in the
 * epoch's order ({@link EpochOrder}), as views when {@code train.augment} asks for them.
 */
record EpochRows(int batchSize, long seed, Augmentation augmentation, List<Integer> featureShape)
    implements Serializable {

  List<DataSet> of(List<DataSet> held, int epoch, int partition) {
    return EpochOrder.reshuffle(held, batchSize, seed, epoch, partition, augmentation,
        featureShape);
  }
}
