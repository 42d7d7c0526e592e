package dev.sparkdistill.common.io;

import dev.sparkdistill.common.config.ImageOptions;

/**
 * Brings decoded channel planes to the configured height and width: first the region the fit
 * chooses (the whole image, a centered crop, or the image inside black borders), then a
 * separable resampling, rows first, columns second. An image already of the target size is
 * copied as it is, so lossless files keep their exact pixel values.
 */
public final class ImageResampling {
  private ImageResampling() {}

  /**
   * For each target index along one axis, the first source index it reads and the weights of
   * that and the following source indexes (summing to 1).
   */
  record Axis(int[] first, float[][] weights) {}

  /**
   * The planes brought to {@code options}' height and width, channels first.
   *
   * @param planes one array per channel, {@code height * width} values row by row
   */
  public static float[] fit(float[][] planes, int height, int width, ImageOptions options) {
    int targetHeight = options.height();
    int targetWidth = options.width();
    Region region = region(height, width, targetHeight, targetWidth, options.fit());
    float[] out = new float[planes.length * targetHeight * targetWidth];
    if (region.isWhole(height, width) && height == targetHeight && width == targetWidth) {
      for (int c = 0; c < planes.length; c++) {
        System.arraycopy(planes[c], 0, out, c * targetHeight * targetWidth,
            targetHeight * targetWidth);
      }
      return out;
    }
    Axis rows = axis(region.height, targetHeight, options.resize());
    Axis columns = axis(region.width, targetWidth, options.resize());
    // Per target column, the weights that fall inside the image (padding reaches outside it),
    // so that the loop over every source row needs no bounds checks.
    int[] fromK = new int[targetWidth];
    int[] toK = new int[targetWidth];
    for (int x = 0; x < targetWidth; x++) {
      int firstX = region.left + columns.first[x];
      fromK[x] = Math.max(0, -firstX);
      toK[x] = Math.min(columns.weights[x].length, width - firstX);
    }
    float[] across = new float[region.height * targetWidth];
    for (int c = 0; c < planes.length; c++) {
      float[] plane = planes[c];
      // Rows: each source row of the region to targetWidth values; outside the image is 0.
      for (int y = 0; y < region.height; y++) {
        int sourceY = region.top + y;
        boolean inside = sourceY >= 0 && sourceY < height;
        for (int x = 0; x < targetWidth; x++) {
          float sum = 0;
          if (inside) {
            float[] weights = columns.weights[x];
            int at = sourceY * width + region.left + columns.first[x];
            for (int k = fromK[x]; k < toK[x]; k++) {
              sum += weights[k] * plane[at + k];
            }
          }
          across[y * targetWidth + x] = sum;
        }
      }
      // Columns: the rows above to targetHeight values.
      int base = c * targetHeight * targetWidth;
      for (int y = 0; y < targetHeight; y++) {
        float[] weights = rows.weights[y];
        int first = rows.first[y];
        for (int x = 0; x < targetWidth; x++) {
          float sum = 0;
          for (int k = 0; k < weights.length; k++) {
            sum += weights[k] * across[(first + k) * targetWidth + x];
          }
          out[base + y * targetWidth + x] = sum;
        }
      }
    }
    return out;
  }

  /**
   * The source region that becomes the target image, in source pixels; it reaches outside the
   * image (negative top or left) when padding.
   */
  record Region(int top, int left, int height, int width) {
    boolean isWhole(int imageHeight, int imageWidth) {
      return top == 0 && left == 0 && height == imageHeight && width == imageWidth;
    }
  }

  static Region region(int height, int width, int targetHeight, int targetWidth,
      ImageOptions.Fit fit) {
    if (fit == ImageOptions.Fit.STRETCH) {
      return new Region(0, 0, height, width);
    }
    // The region's height and width at the target's aspect ratio, within (crop) or around
    // (pad) the image.
    double aspect = (double) targetWidth / targetHeight;
    boolean wider = (double) width / height > aspect;
    int regionHeight;
    int regionWidth;
    if (fit == ImageOptions.Fit.CENTER_CROP) {
      regionHeight = wider ? height : Math.max(1, (int) Math.round(width / aspect));
      regionWidth = wider ? Math.max(1, (int) Math.round(height * aspect)) : width;
    } else {
      regionHeight = wider ? Math.max(height, (int) Math.round(width / aspect)) : height;
      regionWidth = wider ? width : Math.max(width, (int) Math.round(height * aspect));
    }
    return new Region((height - regionHeight) / 2, (width - regionWidth) / 2, regionHeight,
        regionWidth);
  }

  static Axis axis(int source, int target, ImageOptions.Resize resize) {
    return resize == ImageOptions.Resize.AREA ? area(source, target) : bilinear(source, target);
  }

  /**
   * A triangle filter whose support widens with the shrink factor, so shrinking averages every
   * source pixel it covers instead of sampling two (PIL's and torchvision's antialiased
   * bilinear); enlarging is plain bilinear interpolation between pixel centers.
   */
  static Axis bilinear(int source, int target) {
    double scale = (double) source / target;
    double filterScale = Math.max(scale, 1.0);
    double support = filterScale;
    int[] first = new int[target];
    float[][] weights = new float[target][];
    for (int i = 0; i < target; i++) {
      double center = (i + 0.5) * scale;
      int from = Math.max((int) Math.floor(center - support + 0.5), 0);
      int to = Math.min((int) Math.floor(center + support + 0.5), source);
      double[] raw = new double[Math.max(to - from, 1)];
      double total = 0;
      for (int k = 0; k < to - from; k++) {
        double distance = Math.abs((from + k + 0.5 - center) / filterScale);
        raw[k] = Math.max(0, 1 - distance);
        total += raw[k];
      }
      first[i] = from;
      weights[i] = normalized(raw, total);
    }
    return new Axis(first, weights);
  }

  /** Each target pixel the mean of the source interval it covers, partial pixels in part. */
  static Axis area(int source, int target) {
    double scale = (double) source / target;
    int[] first = new int[target];
    float[][] weights = new float[target][];
    for (int i = 0; i < target; i++) {
      double start = i * scale;
      double end = Math.min((i + 1) * scale, source);
      int from = (int) Math.floor(start);
      int to = Math.max(from + 1, (int) Math.ceil(end));
      double[] raw = new double[to - from];
      double total = 0;
      for (int k = 0; k < raw.length; k++) {
        raw[k] = Math.max(0, Math.min(end, from + k + 1) - Math.max(start, from + k));
        total += raw[k];
      }
      first[i] = from;
      weights[i] = normalized(raw, total);
    }
    return new Axis(first, weights);
  }

  private static float[] normalized(double[] raw, double total) {
    float[] weights = new float[raw.length];
    for (int k = 0; k < raw.length; k++) {
      weights[k] = total > 0 ? (float) (raw[k] / total) : (k == 0 ? 1f : 0f);
    }
    return weights;
  }
}
