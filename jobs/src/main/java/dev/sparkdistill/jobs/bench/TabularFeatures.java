package dev.sparkdistill.jobs.bench;

import dev.sparkdistill.common.io.IdxReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fashion-MNIST as a table: 74 measurements of each image, on scales as far apart as a
 * tabular export's (a share of bright pixels, 0 to 1; a row's ink, up to 7,140; an asymmetry, up
 * to 200,000), written as CSV with a header, an id and the label (the class index). The rows to try
 * {@code prepare.scaling.kind = standard} on: unscaled, the large columns drown the small ones.
 */
public final class TabularFeatures {
  private TabularFeatures() {}

  /** The column names after id and label. */
  public static List<String> columns() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 28; i++) {
      names.add("row_ink_" + i);
    }
    for (int i = 0; i < 28; i++) {
      names.add("column_ink_" + i);
    }
    names.addAll(List.of("mean", "deviation", "inked_pixels", "bright_share", "top", "bottom",
        "left", "right", "height", "width", "center_y", "center_x", "spread_y", "spread_x",
        "mirror_difference", "flip_difference", "edges", "peak"));
    return names;
  }

  /** Writes {@code limit} images of an IDX pair as CSV rows; returns how many. */
  public static int write(Path images, Path labels, Path csv, String idPrefix, int limit) {
    try (IdxReader reader = IdxReader.open(Files.newInputStream(images), images.toString());
        IdxReader labelReader = IdxReader.open(Files.newInputStream(labels), labels.toString());
        BufferedWriter out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
      out.write("id,label," + String.join(",", columns()));
      out.newLine();
      long count = Math.min(limit, Math.min(reader.header().itemCount(),
          labelReader.header().itemCount()));
      for (int i = 0; i < count; i++) {
        double[] features = measure(reader.nextItem());
        StringBuilder line = new StringBuilder(idPrefix).append(i).append(',')
            .append(labelReader.nextItem()[0] & 0xFF);
        for (double value : features) {
          line.append(',').append(value == Math.rint(value) ? Long.toString((long) value)
              : String.format(java.util.Locale.ROOT, "%.6g", value));
        }
        out.write(line.toString());
        out.newLine();
      }
      return (int) count;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + csv, e);
    }
  }

  static double[] measure(byte[] image) {
    int side = 28;
    double[] p = new double[side * side];
    for (int i = 0; i < p.length; i++) {
      p[i] = image[i] & 0xff;
    }
    double[] out = new double[74];
    double total = 0;
    double squares = 0;
    int inked = 0;
    int bright = 0;
    int top = side;
    int bottom = -1;
    int left = side;
    int right = -1;
    double sumY = 0;
    double sumX = 0;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        double v = p[y * side + x];
        out[y] += v;
        out[28 + x] += v;
        total += v;
        squares += v * v;
        if (v > 0) {
          inked++;
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
        if (v > 128) {
          bright++;
        }
        sumY += v * y;
        sumX += v * x;
      }
    }
    int n = side * side;
    double mean = total / n;
    double centerY = total > 0 ? sumY / total : 0;
    double centerX = total > 0 ? sumX / total : 0;
    double spreadY = 0;
    double spreadX = 0;
    double mirror = 0;
    double flip = 0;
    int edges = 0;
    double peak = 0;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        double v = p[y * side + x];
        spreadY += v * (y - centerY) * (y - centerY);
        spreadX += v * (x - centerX) * (x - centerX);
        mirror += Math.abs(v - p[y * side + side - 1 - x]);
        flip += Math.abs(v - p[(side - 1 - y) * side + x]);
        if (x + 1 < side && Math.abs(v - p[y * side + x + 1]) > 64) {
          edges++;
        }
        peak = Math.max(peak, v);
      }
    }
    boolean any = bottom >= 0;
    double[] rest = {mean, Math.sqrt(Math.max(0, squares / n - mean * mean)), inked,
        (double) bright / n, any ? top : 0, any ? bottom : 0, any ? left : 0, any ? right : 0,
        any ? bottom - top + 1 : 0, any ? right - left + 1 : 0, centerY, centerX,
        total > 0 ? spreadY / total : 0, total > 0 ? spreadX / total : 0, mirror, flip, edges,
        peak};
    System.arraycopy(rest, 0, out, 56, rest.length);
    return out;
  }
}
