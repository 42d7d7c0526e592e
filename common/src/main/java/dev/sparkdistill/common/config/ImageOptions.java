package dev.sparkdistill.common.config;

import java.io.Serializable;
import java.util.List;

/**
 * How {@code prepare} reads image files ({@code prepare.format = images}): where the labels come
 * from, and the one size and colour every image is brought to.
 *
 * @param files a glob on file names (not folders); the other files are not read
 * @param minSide images whose shorter side is below it are rejected; 0 = no minimum
 * @param maxPixels images with more pixels are rejected before they are decoded
 * @param pathColumn, labelColumn the listing's columns, for {@link Layout#LISTING}
 */
public record ImageOptions(Layout layout, String files, Channels channels, int height,
    int width, Fit fit, Resize resize, int minSide, long maxPixels, String pathColumn,
    String labelColumn) implements Serializable {

  /** Where an input's labels come from. */
  public enum Layout {
    /** A folder per class directly under the input: the folder's name is the class name. */
    FOLDERS,
    /** A CSV (with a header) or Parquet listing of image paths and labels. */
    LISTING,
    /** Every image under the input, without labels. */
    UNLABELED
  }

  public enum Channels {
    GRAYSCALE(1), RGB(3);

    private final int count;

    Channels(int count) {
      this.count = count;
    }

    public int count() {
      return count;
    }
  }

  /** How an image of another aspect ratio is brought to height x width. */
  public enum Fit {
    /** Each axis resized on its own: the aspect ratio changes. */
    STRETCH,
    /** The largest centered region of the target's aspect ratio, resized. */
    CENTER_CROP,
    /** Zero (black) borders added around the image to the target's aspect ratio, then resized. */
    PAD
  }

  /** How pixels are resampled. */
  public enum Resize {
    /** Triangle filter widened when shrinking (antialiased), as PIL and torchvision do. */
    BILINEAR,
    /** Each target pixel is the mean of the source area it covers, in exact fractions. */
    AREA
  }

  static ImageOptions from(Settings s, String prefix, boolean required) {
    int height = (int) s.integer(prefix + "height");
    int width = (int) s.integer(prefix + "width");
    if (required) {
      for (String key : List.of("height", "width")) {
        long value = s.integer(prefix + key);
        if (value < 1 || value > 65_536) {
          throw Settings.invalid(prefix + key, "an integer from 1 to 65536 with "
              + "prepare.format = images (every image is resized to height x width)", value);
        }
      }
    }
    long maxPixels = s.integer(prefix + "max-pixels");
    if (maxPixels < 1) {
      throw Settings.invalid(prefix + "max-pixels", "a positive integer", maxPixels);
    }
    Layout layout = s.choice(prefix + "layout", Layout.class);
    return new ImageOptions(
        layout,
        s.required(prefix + "files", "a glob on file names, e.g. \"*\" or \"*.{png,jpg}\""),
        s.choice(prefix + "channels", Channels.class),
        height,
        width,
        s.choice(prefix + "fit", Fit.class),
        s.choice(prefix + "resize", Resize.class),
        s.integerAtLeast(prefix + "min-side", 0),
        maxPixels,
        layout == Layout.LISTING ? s.required(prefix + "path-column",
            "the listing's column of image paths") : s.string(prefix + "path-column"),
        s.string(prefix + "label-column"));
  }

  /** The shape of one example: channels first. */
  public List<Integer> shape() {
    return List.of(channels.count(), height, width);
  }
}
