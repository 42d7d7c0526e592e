package dev.sparkdistill.common.train;

import dev.sparkdistill.common.config.InvalidConfigException;
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

  /** Values that describe one {@link View} as stored: dy, dx, flipped (0/1), cutout y, x. */
  public static final int VIEW_PARAMETERS = 5;

  /** One drawn view: the shift, the flip and the cutout's centre (-1 = none). */
  public record View(int dy, int dx, boolean flipped, int cutoutY, int cutoutX) {
    /** Writes the view's {@value #VIEW_PARAMETERS} values to {@code target[offset...]}. */
    public void store(int[] target, int offset) {
      target[offset] = dy;
      target[offset + 1] = dx;
      target[offset + 2] = flipped ? 1 : 0;
      target[offset + 3] = cutoutY;
      target[offset + 4] = cutoutX;
    }

    /** The view stored at {@code source[offset...]} by {@link #store}. */
    public static View stored(int[] source, int offset) {
      return new View(source[offset], source[offset + 1], source[offset + 2] != 0,
          source[offset + 3], source[offset + 4]);
    }

    /** The same, from values kept as floats (a minibatch's label matrix). */
    public static View stored(float[] source, int offset) {
      return new View((int) source[offset], (int) source[offset + 1], source[offset + 2] != 0,
          (int) source[offset + 3], (int) source[offset + 4]);
    }
  }

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

  /**
   * The seed of view {@code view} of the example {@code id} in {@code infer}: the same id gets
   * the same views whichever task or run scores it.
   */
  public static long exampleViewSeed(long seed, String id, int view) {
    long hash = 0xCBF29CE484222325L; // FNV-1a over the id's chars
    for (int i = 0; i < id.length(); i++) {
      hash = (hash ^ id.charAt(i)) * 0x100000001B3L;
    }
    return EpochOrder.mix(EpochOrder.mix(seed, view, 0x71E3), (int) hash, (int) (hash >>> 32));
  }

  /** The view of a row drawn and applied: what training sees of it. */
  public void augment(long seed, List<Integer> shape, float[] source, int from, float[] target,
      int to) {
    render(draw(new SplittableRandom(seed), shape.get(1), shape.get(2)), shape, source, from,
        target, to);
  }

  /** Writes {@code view} of the image at {@code source[from...]}: shifted, flipped and cut. */
  public void render(View view, List<Integer> shape, float[] source, int from, float[] target,
      int to) {
    apply(view, shape, source, from, target, to);
    cut(view, cutout, shape, target, to);
  }

  /**
   * Refuses settings {@code key} names that the rows cannot take: they must be images
   * [channels, height, width], with a shift below and a cutout at most the smaller side.
   */
  public void checkFits(String key, List<Integer> featureShape) {
    if (!active()) {
      return;
    }
    if (featureShape.size() != 3) {
      throw new InvalidConfigException(key + " needs image-shaped features [channels, "
          + "height, width], but the input's feature shape is " + featureShape);
    }
    int side = Math.min(featureShape.get(1), featureShape.get(2));
    if (translate >= side || cutout > side) {
      throw new InvalidConfigException(key + ".translate (" + translate + ") must be below and "
          + key + ".cutout (" + cutout + ") at most the image's smaller side, " + side
          + " (feature shape " + featureShape + ")");
    }
  }
}
