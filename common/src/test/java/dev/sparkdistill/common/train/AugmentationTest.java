package dev.sparkdistill.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class AugmentationTest {
  /** Two channels of 3 x 4: value = 100 * channel + 10 * y + x + 1, so 0 means "padding". */
  private static final List<Integer> SHAPE = List.of(2, 3, 4);

  private static float[] image() {
    float[] pixels = new float[24];
    for (int c = 0; c < 2; c++) {
      for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 4; x++) {
          pixels[c * 12 + y * 4 + x] = 100 * c + 10 * y + x + 1;
        }
      }
    }
    return pixels;
  }

  private static float[] view(Augmentation.View view, int cutout) {
    float[] out = new float[24];
    Augmentation.apply(view, SHAPE, image(), 0, out, 0);
    Augmentation.cut(view, cutout, SHAPE, out, 0);
    return out;
  }

  @Test
  void aShiftMovesEveryChannelAndPadsWithZeros() {
    float[] out = view(new Augmentation.View(1, -1, false, -1, -1), 0);

    // target (y, x) = source (y + 1, x - 1)
    assertThat(out).containsExactly(
        0, 11, 12, 13, 0, 21, 22, 23, 0, 0, 0, 0,
        0, 111, 112, 113, 0, 121, 122, 123, 0, 0, 0, 0);
  }

  @Test
  void aFlipMirrorsEachRowThenTheShiftApplies() {
    assertThat(view(new Augmentation.View(0, 0, true, -1, -1), 0)).containsExactly(
        4, 3, 2, 1, 14, 13, 12, 11, 24, 23, 22, 21,
        104, 103, 102, 101, 114, 113, 112, 111, 124, 123, 122, 121);
    assertThat(view(new Augmentation.View(0, 1, true, -1, -1), 0)).startsWith(0, 4, 3, 2);
  }

  @Test
  void cutoutZeroesASquareInEveryChannelClippedAtTheBorder() {
    float[] out = view(new Augmentation.View(0, 0, false, 0, 3), 2);

    // side 2 around (0, 3): rows -1..0, columns 2..3, clipped to row 0
    assertThat(out).containsExactly(
        1, 2, 0, 0, 11, 12, 13, 14, 21, 22, 23, 24,
        101, 102, 0, 0, 111, 112, 113, 114, 121, 122, 123, 124);
  }

  @Test
  void drawsEveryShiftInRangeAndBothFlipsFromItsSeedAlone() {
    Augmentation augmentation = new Augmentation(2, true, 0);
    Set<String> seen = new HashSet<>();
    for (int row = 0; row < 2000; row++) {
      Augmentation.View view = augmentation.draw(
          new SplittableRandom(Augmentation.viewSeed(42, 3, 1, row)), 28, 28);
      assertThat(view.dy()).isBetween(-2, 2);
      assertThat(view.dx()).isBetween(-2, 2);
      seen.add(view.dy() + "," + view.dx() + "," + view.flipped());
      assertThat(augmentation.draw(new SplittableRandom(Augmentation.viewSeed(42, 3, 1, row)),
          28, 28)).isEqualTo(view);
    }
    assertThat(seen).hasSize(5 * 5 * 2);
    assertThat(new Augmentation(0, false, 0).active()).isFalse();
  }

  @Test
  void aViewStoredAsNumbersRendersTheSamePixels() {
    Augmentation augmentation = new Augmentation(1, true, 2);
    Augmentation.View view = new Augmentation.View(-1, 1, true, 2, 0);
    int[] stored = new int[3 * Augmentation.VIEW_PARAMETERS];
    view.store(stored, Augmentation.VIEW_PARAMETERS);
    float[] asFloats = new float[stored.length];
    for (int i = 0; i < stored.length; i++) {
      asFloats[i] = stored[i];
    }

    assertThat(Augmentation.View.stored(stored, Augmentation.VIEW_PARAMETERS)).isEqualTo(view);
    assertThat(Augmentation.View.stored(asFloats, Augmentation.VIEW_PARAMETERS)).isEqualTo(view);
    float[] rendered = new float[24];
    augmentation.render(view, SHAPE, image(), 0, rendered, 0);
    assertThat(rendered).containsExactly(view(view, 2));
  }

  @Test
  void anExamplesViewsFollowFromTheSeedTheIdAndTheViewAlone() {
    long seed = Augmentation.exampleViewSeed(42, "train-17", 3);

    assertThat(Augmentation.exampleViewSeed(42, "train-17", 3)).isEqualTo(seed);
    assertThat(Set.of(Augmentation.exampleViewSeed(42, "train-17", 4),
        Augmentation.exampleViewSeed(42, "train-71", 3),
        Augmentation.exampleViewSeed(43, "train-17", 3))).doesNotContain(seed).hasSize(3);
  }

  @Test
  void epochOrderServesViewsThatChangeWithTheEpochAndRepeatForTheSameEpoch() {
    float[][] rows = new float[10][];
    float[][] labels = new float[10][];
    for (int i = 0; i < 10; i++) {
      rows[i] = image();
      rows[i][0] = i + 1000; // tells the rows apart
      labels[i] = new float[] {i};
    }
    List<DataSet> held = List.of(new DataSet(Nd4j.create(rows), Nd4j.create(labels)));
    Augmentation augmentation = new Augmentation(1, true, 0);

    List<DataSet> first = EpochOrder.reshuffle(held, 4, 7, 1, 0, augmentation, SHAPE);
    List<DataSet> again = EpochOrder.reshuffle(held, 4, 7, 1, 0, augmentation, SHAPE);
    List<DataSet> next = EpochOrder.reshuffle(held, 4, 7, 2, 0, augmentation, SHAPE);
    List<DataSet> plain = EpochOrder.reshuffle(held, 4, 7, 1, 0);

    assertThat(first).hasSize(3);
    for (int b = 0; b < 3; b++) {
      assertThat(first.get(b).getFeatures()).isEqualTo(again.get(b).getFeatures());
      assertThat(first.get(b).getLabels()).as("the same rows in the same order")
          .isEqualTo(plain.get(b).getLabels());
    }
    assertThat(first.get(0).getFeatures()).isNotEqualTo(plain.get(0).getFeatures());
    assertThat(first.get(0).getFeatures()).isNotEqualTo(next.get(0).getFeatures());
  }

  @Test
  void refusesRowsThatAreNotImagesOfTheGivenShape() {
    List<DataSet> held = List.of(new DataSet(Nd4j.rand(2, 5), Nd4j.rand(2, 1)));

    assertThatThrownBy(() -> EpochOrder.reshuffle(held, 2, 1, 1, 0, new Augmentation(1, false, 0),
        SHAPE).get(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("views need image rows [channels, height, width] of 5 values, got shape "
            + "[2, 3, 4]");
  }
}
