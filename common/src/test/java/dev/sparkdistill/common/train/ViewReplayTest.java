package dev.sparkdistill.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Rows that replay stored views: rows numbered 0..9 of 2 x 3 x 4 images, 3 classes, 3 views
 * each. View v of row r has logits {r, v, 100 + v}, so every replayed label row says which row
 * and view it is, and the features must be that view rendered from that row.
 */
class ViewReplayTest {
  private static final List<Integer> SHAPE = List.of(2, 3, 4);
  private static final int CLASSES = 3;
  private static final int VIEWS = 3;
  private static final int ROWS = 10;
  private static final Augmentation AUGMENTATION = new Augmentation(1, true, 2);
  private static final ViewReplay REPLAY = new ViewReplay(VIEWS, CLASSES, AUGMENTATION);

  private static float[] image(int row) {
    float[] pixels = new float[24];
    for (int i = 0; i < 24; i++) {
      pixels[i] = 1000 * row + i + 1;
    }
    return pixels;
  }

  private static Augmentation.View storedView(int row, int view) {
    return new Augmentation.View(view - 1, (row + view) % 3 - 1, (row + view) % 2 == 0,
        view == 2 ? row % 3 : -1, view == 2 ? 1 : -1);
  }

  /** The rows as a worker holds them: packed with their views, in minibatches of 4. */
  private static List<DataSet> held() {
    Minibatches packer = new Minibatches(24, CLASSES, new float[] {1, 1, 1}, 0.5f)
        .keepingViews(REPLAY);
    List<DataSet> batches = new ArrayList<>();
    List<Minibatches.Example> batch = new ArrayList<>();
    for (int row = 0; row < ROWS; row++) {
      float[] logits = new float[VIEWS * CLASSES];
      int[] params = new int[VIEWS * Augmentation.VIEW_PARAMETERS];
      for (int v = 0; v < VIEWS; v++) {
        logits[v * CLASSES] = row;
        logits[v * CLASSES + 1] = v;
        logits[v * CLASSES + 2] = 100 + v;
        storedView(row, v).store(params, v * Augmentation.VIEW_PARAMETERS);
      }
      Integer label = row % 4 == 3 ? null : row % CLASSES;
      batch.add(new Minibatches.Example(image(row), label, new float[] {-1, -1, -1}, logits,
          params));
      if (batch.size() == 4 || row == ROWS - 1) {
        batches.add(packer.pack(batch));
        batch = new ArrayList<>();
      }
    }
    return batches;
  }

  @Test
  void packsTheViewsAfterTheDistillationLabels() {
    DataSet first = held().get(0);

    assertThat(first.getLabels().columns()).isEqualTo(REPLAY.heldLabelWidth())
        .isEqualTo(2 * CLASSES + 1 + VIEWS * (CLASSES + Augmentation.VIEW_PARAMETERS));
    float[] row1 = first.getLabels().getRow(1).toFloatVector();
    assertThat(row1).startsWith(0, 1, 0, -1, -1, -1, 1, 1, 0, 100, 1, 1, 101);
    int params = 2 * CLASSES + 1 + VIEWS * CLASSES;
    assertThat(Augmentation.View.stored(row1, params + 2 * Augmentation.VIEW_PARAMETERS))
        .isEqualTo(storedView(1, 2));
  }

  @Test
  void everyRowTrainsOnOneOfItsViewsRenderedByThatViewsTransformWithThatViewsLogits() {
    List<DataSet> held = held();
    Set<Integer> viewsSeen = new HashSet<>();
    Set<String> rowViews = new HashSet<>();
    for (int epoch = 1; epoch <= 4; epoch++) {
      List<DataSet> batches = EpochOrder.reshuffle(held, 4, 7, epoch, 0, Augmentation.NONE,
          REPLAY, SHAPE);
      int rows = 0;
      for (DataSet batch : batches) {
        assertThat(batch.getLabels().columns()).isEqualTo(2 * CLASSES + 1);
        for (int i = 0; i < batch.numExamples(); i++, rows++) {
          float[] labels = batch.getLabels().getRow(i).toFloatVector();
          int row = (int) labels[CLASSES];
          int view = (int) labels[CLASSES + 1];
          assertThat(labels[CLASSES + 2]).isEqualTo(100 + view);
          float[] expected = new float[24];
          AUGMENTATION.render(storedView(row, view), SHAPE, image(row), 0, expected, 0);
          assertThat(batch.getFeatures().getRow(i).toFloatVector())
              .as("row %d, view %d, epoch %d", row, view, epoch).containsExactly(expected);
          Integer label = row % 4 == 3 ? null : row % CLASSES;
          for (int c = 0; c < CLASSES; c++) {
            assertThat(labels[c]).isEqualTo(label != null && label == c ? 1f : 0f);
          }
          assertThat(labels[2 * CLASSES]).as("KD weight").isEqualTo(label == null ? 0.5f : 1f);
          viewsSeen.add(view);
          rowViews.add(row + ":" + view);
        }
      }
      assertThat(rows).isEqualTo(ROWS);
      assertThat(EpochOrder.reshuffle(held, 4, 7, epoch, 0, Augmentation.NONE, REPLAY, SHAPE)
          .get(0).getFeatures()).as("the same epoch replays the same views")
          .isEqualTo(batches.get(0).getFeatures());
    }
    assertThat(viewsSeen).containsExactlyInAnyOrder(0, 1, 2);
    assertThat(rowViews.size()).as("rows meet different views over the epochs")
        .isGreaterThan(ROWS + 5);
  }

  @Test
  void refusesRowsPackedWithoutTheirViews() {
    List<DataSet> plain = List.of(new Minibatches(24, CLASSES, new float[] {1, 1, 1}, 1f)
        .pack(List.of(new Minibatches.Example(image(0), 0, new float[] {0, 0, 0}))));

    assertThatThrownBy(() -> EpochOrder.reshuffle(plain, 4, 7, 1, 0, Augmentation.NONE, REPLAY,
        SHAPE)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rows replaying 3 views need label rows of 31 values, got 7");
  }
}
