package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.manifest.TrainingLogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The reports' inline SVG charts: training curves, grouped bars and confusion heatmaps. No
 * scripts: values show on hover through SVG {@code <title>} elements. Series differ in colour
 * and in luminance, and lines also in dash pattern and marker shape, so a chart printed in grey
 * still tells them apart.
 */
public final class Charts {
  /** Dark, mid and light in grey-scale, then the same steps again in other hues. */
  static final String[] COLOURS = {"#1b4f8a", "#e08a3c", "#c6dbef", "#3d3d3d", "#b15928",
      "#c7e9c0"};
  private static final String[] DASHES = {"", "7 3", "2 2", "8 3 2 3"};
  /** The heatmap's darkest cell: a row's whole share. */
  public static final int HEAT_DARK = 0x08306b;

  private static final int LEFT = 60;
  private static final int RIGHT = 12;
  private static final int TOP = 34;
  private static final int BOTTOM = 44;

  private Charts() {}

  /** One model's training curves. */
  record Curves(String name, TrainingHistory history) {}

  /** A metric of one training epoch. */
  record Metric(String title, String axis, Function<TrainingLogEntry, Double> value) {}

  static final List<Metric> TRAINING_METRICS = List.of(
      new Metric("Training loss", "loss", e -> e.trainScore()),
      new Metric("Validation loss", "loss", TrainingLogEntry::validationLoss),
      new Metric("Validation accuracy", "accuracy", TrainingLogEntry::validationAccuracy));

  /**
   * The training curves of every model that has a history: one chart per metric, one line per
   * model, each model's best epoch ringed. Nothing when no model has a history.
   */
  static void trainingCurves(StringBuilder html, String id, List<Curves> models) {
    List<Curves> shown = models.stream().filter(m -> m.history() != null
        && !m.history().epochs().isEmpty()).toList();
    if (shown.isEmpty()) {
      return;
    }
    html.append("<h2>Training</h2><p>Per epoch; a ring marks the epoch each model keeps (its "
        + "lowest validation loss).</p><div class=\"charts\" id=\"").append(id).append("\">");
    for (Metric metric : TRAINING_METRICS) {
      lineChart(html, metric, shown, models);
    }
    html.append("</div>\n");
  }

  private static void lineChart(StringBuilder html, Metric metric, List<Curves> shown,
      List<Curves> all) {
    int width = 380;
    int height = 270;
    int epochs = shown.stream().mapToInt(m -> lastEpoch(m.history())).max().orElse(1);
    double low = Double.POSITIVE_INFINITY;
    double high = Double.NEGATIVE_INFINITY;
    for (Curves m : shown) {
      for (TrainingLogEntry e : m.history().epochs()) {
        Double v = metric.value().apply(e);
        if (v != null && Double.isFinite(v)) {
          low = Math.min(low, v);
          high = Math.max(high, v);
        }
      }
    }
    if (low > high) {
      return;
    }
    double pad = Math.max((high - low) * 0.08, 1e-3);
    Axis x = new Axis(1, Math.max(2, epochs), LEFT, width - RIGHT);
    Axis y = new Axis(low - pad, high + pad, height - BOTTOM, TOP);
    html.append("<figure class=\"curve\"><figcaption>").append(metric.title())
        .append("</figcaption>");
    open(html, width, height, metric.title() + " per epoch");
    frame(html, width, height, x, y, "epoch", metric.axis());
    legend(html, shown.stream().map(m -> seriesIndex(all, m)).toList(),
        shown.stream().map(Curves::name).toList(), true);
    for (Curves m : shown) {
      int s = seriesIndex(all, m);
      StringBuilder points = new StringBuilder();
      StringBuilder markers = new StringBuilder();
      for (TrainingLogEntry e : m.history().epochs()) {
        Double v = metric.value().apply(e);
        if (v == null || !Double.isFinite(v)) {
          continue;
        }
        double px = x.pixel(e.epoch());
        double py = y.pixel(v);
        points.append(format("%.1f,%.1f ", px, py));
        String tip = format("%s, epoch %d: %s %.4f", ReportHtml.escape(m.name()), e.epoch(),
            metric.axis(), v);
        markers.append(marker(s, px, py, tip));
        if (e.epoch() == m.history().bestEpoch()) {
          markers.append(format("<circle class=\"best\" cx=\"%.1f\" cy=\"%.1f\" r=\"7\" "
              + "fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"><title>%s keeps epoch %d: "
              + "%s %.4f</title></circle>", px, py, ReportHtml.escape(m.name()), e.epoch(),
              metric.axis(), v));
        }
      }
      html.append(format("<polyline class=\"series\" points=\"%s\" fill=\"none\" stroke=\"%s\" "
          + "stroke-width=\"2\"%s/>", points.toString().trim(), colour(s), dash(s)))
          .append(markers);
    }
    html.append("</svg></figure>");
  }

  private static int lastEpoch(TrainingHistory history) {
    return history.epochs().get(history.epochs().size() - 1).epoch();
  }

  private static int seriesIndex(List<Curves> all, Curves model) {
    return all.indexOf(model);
  }

  /**
   * Per-class accuracy, the models' bars side by side in each class's group.
   *
   * @param perClass each model's accuracy per class
   */
  static void groupedBars(StringBuilder html, String id, List<String> classNames,
      List<String> models, List<double[]> perClass) {
    int classes = classNames.size();
    int bar = 11;
    int group = models.size() * bar + 10;
    int width = Math.max(420, LEFT + RIGHT + classes * group);
    int height = 300;
    double lowest = perClass.stream().flatMapToDouble(java.util.Arrays::stream)
        .filter(Double::isFinite).min().orElse(0);
    double floor = Math.max(0, Math.floor((lowest - 0.05) * 10) / 10);
    Axis y = new Axis(floor, 1, height - BOTTOM - 30, TOP);
    html.append("<div class=\"charts\" id=\"").append(id).append("\"><figure>");
    open(html, width, height, "accuracy per class of each model");
    frame(html, width, height - 30, null, y, null, "accuracy");
    List<Integer> indexes = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      indexes.add(m);
    }
    legend(html, indexes, models, false);
    for (int c = 0; c < classes; c++) {
      double groupX = LEFT + 5 + c * group;
      for (int m = 0; m < models.size(); m++) {
        double value = perClass.get(m)[c];
        if (!Double.isFinite(value)) {
          continue;
        }
        double top = y.pixel(Math.max(floor, value));
        html.append(format("<rect class=\"class-bar\" x=\"%.1f\" y=\"%.1f\" width=\"%d\" "
            + "height=\"%.1f\" fill=\"%s\" stroke=\"#333\" stroke-width=\"0.5\"><title>%s, %s: "
            + "accuracy %.4f</title></rect>", groupX + m * bar, top, bar - 1,
            y.pixel(floor) - top, colour(m), ReportHtml.escape(models.get(m)),
            ReportHtml.escape(classNames.get(c)), value));
      }
      double labelX = groupX + models.size() * bar / 2.0;
      double labelY = height - BOTTOM - 30 + 12;
      html.append(format("<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
          + "transform=\"rotate(-35 %.1f %.1f)\">%s</text>", labelX, labelY, labelX, labelY,
          ReportHtml.escape(classNames.get(c))));
    }
    html.append("</svg></figure></div>\n");
  }

  /**
   * One model's confusion matrix: rows are the true classes, columns the predicted ones, each
   * cell shaded by its share of the true class's rows and labelled with its count.
   */
  static void heatmap(StringBuilder html, String model, List<String> classNames,
      long[][] confusion) {
    int classes = classNames.size();
    int cell = 30;
    int left = 100;
    int top = 90;
    // room on the right for the last column's slanted name
    int width = left + classes * cell + 60;
    int height = top + classes * cell + 10;
    html.append("<figure class=\"confusion\"><figcaption>").append(ReportHtml.escape(model))
        .append("</figcaption>");
    open(html, width, height, "confusion matrix of " + model);
    html.append(format("<text x=\"%d\" y=\"12\" font-size=\"11\">predicted &#8594;</text>"
        + "<text x=\"4\" y=\"%d\" font-size=\"11\">true &#8595;</text>", left, top - 6));
    for (int c = 0; c < classes; c++) {
      String name = ReportHtml.escape(classNames.get(c));
      double cx = left + c * cell + cell / 2.0;
      html.append(format("<text x=\"%.1f\" y=\"%d\" font-size=\"10\" transform=\"rotate(-50 "
          + "%.1f %d)\">%s</text>", cx, top - 4, cx, top - 4, name));
      html.append(format("<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s"
          + "</text>", left - 4, top + c * cell + cell / 2.0 + 3, name));
    }
    for (int t = 0; t < classes; t++) {
      long rowTotal = java.util.Arrays.stream(confusion[t]).sum();
      for (int p = 0; p < classes; p++) {
        long count = confusion[t][p];
        double share = rowTotal == 0 ? 0 : (double) count / rowTotal;
        html.append(format("<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
            + "fill=\"%s\" stroke=\"#fff\"><title>true %s, predicted %s: %d rows (%.1f%% of "
            + "%s)</title></rect>", left + p * cell, top + t * cell, cell, cell, heat(share),
            ReportHtml.escape(classNames.get(t)), ReportHtml.escape(classNames.get(p)), count,
            100 * share, ReportHtml.escape(classNames.get(t))));
        if (count > 0) {
          html.append(format("<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"middle\" "
              + "fill=\"%s\" pointer-events=\"none\">%d</text>", left + p * cell + cell / 2.0,
              top + t * cell + cell / 2.0 + 3, count >= 1000 ? 8 : 9,
              share > 0.45 ? "#fff" : "#222", count));
        }
      }
    }
    html.append("</svg></figure>");
  }

  /** White at share 0 to {@link #HEAT_DARK} at share 1, so grey-scale keeps the order. */
  public static String heat(double share) {
    int r = (int) Math.round(255 + (((HEAT_DARK >> 16) & 0xff) - 255) * share);
    int g = (int) Math.round(255 + (((HEAT_DARK >> 8) & 0xff) - 255) * share);
    int b = (int) Math.round(255 + ((HEAT_DARK & 0xff) - 255) * share);
    return format("#%02x%02x%02x", r, g, b);
  }

  private static void open(StringBuilder html, int width, int height, String label) {
    html.append(format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "role=\"img\" aria-label=\"%s\">", width, height, ReportHtml.escape(label)));
  }

  /**
   * Axes with ticks and their labels.
   *
   * @param x null for a chart whose horizontal axis is categories labelled elsewhere
   */
  private static void frame(StringBuilder html, int width, int height, Axis x, Axis y,
      String xLabel, String yLabel) {
    int bottom = height - BOTTOM;
    html.append(format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
        + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", LEFT, bottom,
        width - RIGHT, bottom, LEFT, TOP, LEFT, bottom));
    for (double tick : y.ticks()) {
      double py = y.pixel(tick);
      html.append(format("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>", LEFT,
          py, width - RIGHT, py, LEFT - 4, py + 3, y.label(tick)));
    }
    html.append(format("<text x=\"14\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 14 %.1f)\">%s</text>", (TOP + bottom) / 2.0,
        (TOP + bottom) / 2.0, yLabel));
    if (x != null) {
      int step = Math.max(1, (int) Math.ceil((x.high() - x.low()) / 10));
      for (int tick = (int) x.low(); tick <= x.high(); tick += step) {
        double px = x.pixel(tick);
        html.append(format("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>"
            + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d</text>", px,
            bottom, px, bottom + 4, px, bottom + 15, tick));
      }
      html.append(format("<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s"
          + "</text>", (LEFT + width - RIGHT) / 2.0, bottom + 32, xLabel));
    }
  }

  /** One row of swatches above the plot. */
  private static void legend(StringBuilder html, List<Integer> series, List<String> names,
      boolean lines) {
    double x = LEFT;
    for (int i = 0; i < names.size(); i++) {
      int s = series.get(i);
      if (lines) {
        html.append(format("<line x1=\"%.1f\" y1=\"14\" x2=\"%.1f\" y2=\"14\" stroke=\"%s\" "
            + "stroke-width=\"2\"%s/>", x, x + 22, colour(s), dash(s)))
            .append(marker(s, x + 11, 14, null));
      } else {
        html.append(format("<rect x=\"%.1f\" y=\"8\" width=\"14\" height=\"12\" fill=\"%s\" "
            + "stroke=\"#333\" stroke-width=\"0.5\"/>", x, colour(s)));
      }
      html.append(format("<text x=\"%.1f\" y=\"18\" font-size=\"10\">%s</text>",
          x + (lines ? 26 : 18), ReportHtml.escape(names.get(i))));
      x += (lines ? 34 : 26) + 6.5 * names.get(i).length();
    }
  }

  /** A circle, square, triangle or diamond, by series. */
  private static String marker(int series, double x, double y, String tip) {
    String fill = colour(series);
    String title = tip == null ? "" : "<title>" + tip + "</title>";
    return switch (series % 4) {
      case 0 -> format("<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\">"
          + "%s</circle>", x, y, fill, title);
      case 1 -> format("<rect class=\"point\" x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" "
          + "fill=\"%s\">%s</rect>", x - 3.5, y - 3.5, fill, title);
      case 2 -> format("<polygon class=\"point\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" "
          + "fill=\"%s\" stroke=\"#333\" stroke-width=\"0.5\">%s</polygon>", x, y - 4.5, x - 4,
          y + 3.5, x + 4, y + 3.5, fill, title);
      default -> format("<polygon class=\"point\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f "
          + "%.1f,%.1f\" fill=\"%s\">%s</polygon>", x, y - 4.5, x + 4.5, y, x, y + 4.5, x - 4.5,
          y, fill, title);
    };
  }

  /** The colour of the n-th model or student. */
  public static String colour(int series) {
    return COLOURS[series % COLOURS.length];
  }

  private static String dash(int series) {
    String pattern = DASHES[series % DASHES.length];
    return pattern.isEmpty() ? "" : " stroke-dasharray=\"" + pattern + "\"";
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }

  /** A linear map from values to pixels, with round ticks. */
  record Axis(double low, double high, double fromPixel, double toPixel) {
    double pixel(double value) {
      return fromPixel + (toPixel - fromPixel) * (value - low) / (high - low);
    }

    /** About five ticks at a round step (1, 2 or 5 times a power of ten). */
    List<Double> ticks() {
      double raw = (high - low) / 5;
      double power = Math.pow(10, Math.floor(Math.log10(raw)));
      double step = raw / power < 1.5 ? power : raw / power < 3.5 ? 2 * power : 5 * power;
      List<Double> ticks = new ArrayList<>();
      for (double t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
        ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
      }
      return ticks;
    }

    String label(double tick) {
      double step = ticks().size() > 1 ? ticks().get(1) - ticks().get(0) : 1;
      int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
      return String.format(Locale.ROOT, "%." + decimals + "f", tick);
    }
  }
}
