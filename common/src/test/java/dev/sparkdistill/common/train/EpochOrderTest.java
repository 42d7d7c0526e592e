package dev.sparkdistill.common.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class EpochOrderTest {
  /** Rows numbered 0..rows-1: feature row r is {r, 1000 + r}, label row r is {r, 10 r, 100 r}. */
  private static List<DataSet> numberedRows(int rows, int batchSize) {
    List<DataSet> batches = new ArrayList<>();
    for (int from = 0; from < rows; from += batchSize) {
      int n = Math.min(batchSize, rows - from);
      float[] features = new float[n * 2];
      float[] labels = new float[n * 3];
      for (int i = 0; i < n; i++) {
        int r = from + i;
        features[2 * i] = r;
        features[2 * i + 1] = 1000 + r;
        labels[3 * i] = r;
        labels[3 * i + 1] = 10 * r;
        labels[3 * i + 2] = 100 * r;
      }
      batches.add(new DataSet(Nd4j.create(features, new long[] {n, 2}, 'c'),
          Nd4j.create(labels, new long[] {n, 3}, 'c')));
    }
    return batches;
  }

  private static int[] rowNumbers(List<DataSet> batches) {
    return batches.stream().flatMapToInt(b -> Arrays.stream(b.getFeatures().toFloatMatrix())
        .mapToInt(row -> (int) row[0])).toArray();
  }

  @Test
  void everyRowAppearsOnceWithItsOwnLabelsInBatchesOfTheGivenSize() {
    List<DataSet> shuffled = EpochOrder.reshuffle(numberedRows(23, 5), 4, 7, 1, 0);

    assertThat(shuffled).extracting(DataSet::numExamples).containsExactly(4, 4, 4, 4, 4, 3);
    assertThat(rowNumbers(shuffled)).containsExactlyInAnyOrder(IntStream.range(0, 23).toArray());
    for (DataSet batch : shuffled) {
      float[][] features = batch.getFeatures().toFloatMatrix();
      float[][] labels = batch.getLabels().toFloatMatrix();
      for (int i = 0; i < features.length; i++) {
        float r = features[i][0];
        assertThat(features[i]).containsExactly(r, 1000 + r);
        assertThat(labels[i]).containsExactly(r, 10 * r, 100 * r);
      }
    }
  }

  @Test
  void eachEpochAndPartitionHasItsOwnOrderAndTheSameSeedRepeatsIt() {
    List<DataSet> rows = numberedRows(50, 8);
    int[] epoch1 = rowNumbers(EpochOrder.reshuffle(rows, 8, 42, 1, 0));

    assertThat(rowNumbers(EpochOrder.reshuffle(rows, 8, 42, 1, 0))).containsExactly(epoch1);
    assertThat(rowNumbers(EpochOrder.reshuffle(rows, 8, 42, 2, 0))).isNotEqualTo(epoch1);
    assertThat(rowNumbers(EpochOrder.reshuffle(rows, 8, 42, 1, 1))).isNotEqualTo(epoch1);
    assertThat(rowNumbers(EpochOrder.reshuffle(rows, 8, 43, 1, 0))).isNotEqualTo(epoch1);
    assertThat(epoch1).isNotEqualTo(IntStream.range(0, 50).toArray());
  }

  @Test
  void rowsOfASortedTableAreSpreadOverTheMinibatches() {
    // 10 classes of 100 rows each, sorted by class: packed in table order every minibatch of
    // 50 would hold a single class.
    int[] order = EpochOrder.permutation(42, 1, 0, 1000);
    for (int batch = 0; batch < 20; batch++) {
      long classes = Arrays.stream(order, batch * 50, batch * 50 + 50).map(r -> r / 100)
          .distinct().count();
      assertThat(classes).as("classes in minibatch %d", batch).isGreaterThanOrEqualTo(6);
    }
  }
}
