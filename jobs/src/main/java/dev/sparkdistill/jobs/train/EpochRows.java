package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.train.Augmentation;
import dev.sparkdistill.common.train.EpochOrder;
import dev.sparkdistill.common.train.ViewReplay;
import java.io.Serializable;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;

/**
 * How a worker turns the minibatches it holds into an epoch's minibatches: its rows in the
 * epoch's order ({@link EpochOrder}), as views when {@code train.augment} asks for them, or each
 * as one of its stored views when the targets table has them ({@link ViewReplay}).
 */
record EpochRows(int batchSize, long seed, Augmentation augmentation, ViewReplay replay,
    List<Integer> featureShape) implements Serializable {

  List<DataSet> of(List<DataSet> held, int epoch, int partition) {
    return EpochOrder.reshuffle(held, batchSize, seed, epoch, partition, augmentation, replay,
        featureShape);
  }
}
