package dev.sparkdistill.common.train;

import dev.sparkdistill.common.loss.DistillationLabels;
import java.util.AbstractList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A worker's rows in a new order every epoch. The minibatches a worker holds are unpacked into
 * rows, permuted with a seed made from the training seed, the epoch and the worker's partition,
 * and cut into minibatches again, so no minibatch is replayed and a table sorted by label never
 * trains on single-class batches. The order depends on nothing else: a resumed run replays the
 * same sequence of epochs.
 *
 * <p>Memory: the rows are held once more, as one Java array per minibatch, while the epoch runs;
 * each new minibatch is packed only when asked for.
 */
public final class EpochOrder {
  private EpochOrder() {}

  /** A permutation of {@code 0..rows-1}, fixed by the seed, epoch and partition. */
  public static int[] permutation(long seed, int epoch, int partition, int rows) {
    SplittableRandom random = new SplittableRandom(mix(seed, epoch, partition));
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[i] = i;
    }
    for (int i = rows - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  /**
   * The rows of {@code batches} as minibatches of {@code batchSize} (the last one may be
   * shorter) in this epoch's order. The batches must hold 2-d features and labels.
   */
  public static List<DataSet> reshuffle(List<DataSet> batches, int batchSize, long seed,
      int epoch, int partition) {
    return reshuffle(batches, batchSize, seed, epoch, partition, Augmentation.NONE, List.of());
  }

  /**
   * The same, each row's features replaced by a view {@code augmentation} draws for it from the
   * seed, the epoch, the partition and the row's place among the worker's rows as dealt
   * ({@link Augmentation#viewSeed}); {@code imageShape} is [channels, height, width].
   */
  public static List<DataSet> reshuffle(List<DataSet> batches, int batchSize, long seed,
      int epoch, int partition, Augmentation augmentation, List<Integer> imageShape) {
    return reshuffle(batches, batchSize, seed, epoch, partition, augmentation, ViewReplay.NONE,
        imageShape);
  }

  /**
   * The same, and when {@code replay} is active each row trains on one of its stored views,
   * chosen from the same per-row seed: the batches hold the widened label rows of
   * {@link ViewReplay}, and the minibatches returned the plain distillation labels of that view.
   * A row is either augmented afresh or replayed, never both.
   */
  public static List<DataSet> reshuffle(List<DataSet> batches, int batchSize, long seed,
      int epoch, int partition, Augmentation augmentation, ViewReplay replay,
      List<Integer> imageShape) {
    if (augmentation.active() && replay.active()) {
      throw new IllegalArgumentException("a row is augmented or replays a stored view, not both");
    }
    Rows features = new Rows(batches, DataSet::getFeatures);
    Rows labels = new Rows(batches, DataSet::getLabels);
    if ((augmentation.active() || replay.active()) && (imageShape.size() != 3
        || (long) imageShape.get(0) * imageShape.get(1) * imageShape.get(2) != features.width)) {
      throw new IllegalArgumentException("views need image rows [channels, height, width] of "
          + features.width + " values, got shape " + imageShape);
    }
    RowCopy copyFeatures = RowCopy.PLAIN;
    RowCopy copyLabels = RowCopy.PLAIN;
    int labelWidth = labels.width;
    if (augmentation.active()) {
      copyFeatures = (row, source, from, target, to, width) -> augmentation.augment(
          Augmentation.viewSeed(seed, epoch, partition, row), imageShape, source, from, target,
          to);
    } else if (replay.active()) {
      if (labels.width != replay.heldLabelWidth()) {
        throw new IllegalArgumentException("rows replaying " + replay.views() + " views need "
            + "label rows of " + replay.heldLabelWidth() + " values, got " + labels.width);
      }
      labelWidth = DistillationLabels.width(replay.classCount());
      // Each row's view for this epoch, drawn once for both its features and its labels.
      int[] chosen = new int[features.count()];
      for (int row = 0; row < chosen.length; row++) {
        chosen[row] = replay.choose(Augmentation.viewSeed(seed, epoch, partition, row));
      }
      copyFeatures = (row, source, from, target, to, width) -> replay.renderFeatures(
          chosen[row], imageShape, source, from, labels.blocks[labels.blockOfRow[row]],
          labels.rowInBlock[row] * labels.width, target, to);
      copyLabels = (row, source, from, target, to, width) -> replay.viewLabels(chosen[row],
          source, from, target, to);
    }
    RowCopy featureCopy = copyFeatures;
    RowCopy labelCopy = copyLabels;
    int packedLabelWidth = labelWidth;
    int rows = features.count();
    int[] order = permutation(seed, epoch, partition, rows);
    int count = (rows + batchSize - 1) / batchSize;
    return new AbstractList<>() {
      @Override
      public DataSet get(int index) {
        int from = index * batchSize;
        int to = Math.min(rows, from + batchSize);
        return new DataSet(features.gather(order, from, to, featureCopy, features.width),
            labels.gather(order, from, to, labelCopy, packedLabelWidth));
      }

      @Override
      public int size() {
        return count;
      }
    };
  }

  /** How one row lands in a new minibatch: as it is, or as a view of it. */
  @FunctionalInterface
  private interface RowCopy {
    RowCopy PLAIN = (row, source, from, target, to, width) ->
        System.arraycopy(source, from, target, to, width);

    /** Writes row {@code row}, whose {@code width} values start at {@code source[from]}. */
    void copy(int row, float[] source, int from, float[] target, int to, int width);
  }

  /** One matrix per minibatch, addressed as one table of rows. */
  private static final class Rows {
    private final float[][] blocks;
    private final int[] blockOfRow;
    private final int[] rowInBlock;
    private final int width;

    Rows(List<DataSet> batches, Function<DataSet, INDArray> part) {
      blocks = new float[batches.size()][];
      int rows = batches.stream().mapToInt(DataSet::numExamples).sum();
      blockOfRow = new int[rows];
      rowInBlock = new int[rows];
      width = batches.isEmpty() ? 0 : (int) part.apply(batches.get(0)).size(1);
      int row = 0;
      for (int b = 0; b < blocks.length; b++) {
        INDArray matrix = part.apply(batches.get(b));
        blocks[b] = Nd4j.toFlattened('c', matrix).toFloatVector();
        for (int i = 0; i < matrix.rows(); i++, row++) {
          blockOfRow[row] = b;
          rowInBlock[row] = i;
        }
      }
    }

    int count() {
      return blockOfRow.length;
    }

    /** Rows {@code order[from..to)} copied into a matrix of {@code packedWidth} columns. */
    INDArray gather(int[] order, int from, int to, RowCopy copy, int packedWidth) {
      float[] packed = new float[(to - from) * packedWidth];
      for (int i = from; i < to; i++) {
        int row = order[i];
        copy.copy(row, blocks[blockOfRow[row]], rowInBlock[row] * width, packed,
            (i - from) * packedWidth, width);
      }
      return Nd4j.create(packed, new long[] {to - from, packedWidth}, 'c');
    }
  }

  /** Spreads the three numbers over 64 bits, so nearby epochs and partitions draw apart. */
  static long mix(long seed, int epoch, int partition) {
    long z = seed ^ (epoch * 0x9E3779B97F4A7C15L) ^ (partition * 0xC2B2AE3D27D4EB4FL);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
