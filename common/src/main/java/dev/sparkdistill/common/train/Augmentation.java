package dev.sparkdistill.common.train;

import java.io.Serializable;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random views of image rows for training ({@code train.augment}): a translation of up to
 * {@code translate} pixels each way (pad with zeros and crop, as the CIFAR and Fashion-MNIST
 * recipes do), a horizontal flip with probability 1/2 when {@code flip}, and a zeroed square of
 * side {@code cutout} centred anywhere on the image (DeVries and Taylor 2017). Rows are flat
 * [channels, height, width] in 'c' order, as the examples table stores images.
 *
 * <p>Every view is drawn from its own seed ({@link #viewSeed}), so a retried or resumed task
 * draws the same views.
 */
public record Augmentation(int translate, boolean flip, int cutout) implements Serializable {
  public static final Augmentation NONE = new Augmentation(0, false, 0);

  /** Whether any transform is on. */
  public boolean active() {
    return translate > 0 || flip || cutout > 0;
  }

  /** One drawn view: the shift, the flip and the cutout's centre (-1 = none). */
  public record View(int dy, int dx, boolean flipped, int cutoutY, int cutoutX) {}

  /** The view of one row, for an image of {@code height} x {@code width}. */
  public View draw(SplittableRandom random, int height, int width) {
    int dy = translate > 0 ? random.nextInt(2 * translate + 1) - translate : 0;
    int dx = translate > 0 ? random.nextInt(2 * translate + 1) - translate : 0;
    boolean flipped = flip && random.nextBoolean();
    int cy = cutout > 0 ? random.nextInt(height) : -1;
    int cx = cutout > 0 ? random.nextInt(width) : -1;
    return new View(dy, dx, flipped, cy, cx);
  }

  /**
   * Writes the view of the image at {@code source[from...]} to {@code target[to...]}: pixel
   * (y, x) of the target is pixel (y + dy, x' + dx) of the source, x' = x or, flipped,
   * width - 1 - x; outside the source it is 0. The cutout is {@link #cut}.
   *
   * @param shape [channels, height, width]
   */
  public static void apply(View view, List<Integer> shape, float[] source, int from,
      float[] target, int to) {
    int channels = shape.get(0);
    int height = shape.get(1);
    int width = shape.get(2);
    for (int c = 0; c < channels; c++) {
      int plane = c * height * width;
      for (int y = 0; y < height; y++) {
        int sy = y + view.dy();
        for (int x = 0; x < width; x++) {
          int sx = (view.flipped() ? width - 1 - x : x) + view.dx();
          boolean inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
          target[to + plane + y * width + x] =
              inside ? source[from + plane + sy * width + sx] : 0f;
        }
      }
    }
  }

  /** Zeroes the cutout square of side {@code side} around the view's centre, clipped. */
  public static void cut(View view, int side, List<Integer> shape, float[] target, int to) {
    if (view.cutoutY() < 0 || side <= 0) {
      return;
    }
    int height = shape.get(1);
    int width = shape.get(2);
    int y0 = Math.max(0, view.cutoutY() - side / 2);
    int y1 = Math.min(height, view.cutoutY() - side / 2 + side);
    int x0 = Math.max(0, view.cutoutX() - side / 2);
    int x1 = Math.min(width, view.cutoutX() - side / 2 + side);
    for (int c = 0; c < shape.get(0); c++) {
      int plane = c * height * width;
      for (int y = y0; y < y1; y++) {
        java.util.Arrays.fill(target, to + plane + y * width + x0, to + plane + y * width + x1,
            0f);
      }
    }
  }

  /** The seed of one row's view: the training seed, the epoch, the partition, the row. */
  public static long viewSeed(long seed, int epoch, int partition, int row) {
    return EpochOrder.mix(EpochOrder.mix(seed, epoch, partition), row, 0x5EED);
  }

  /** The view of a row drawn and applied: what training sees of it. */
  public void augment(long seed, List<Integer> shape, float[] source, int from, float[] target,
      int to) {
    View view = draw(new SplittableRandom(seed), shape.get(1), shape.get(2));
    apply(view, shape, source, from, target, to);
    cut(view, cutout, shape, target, to);
  }
}
