package dev.sparkdistill.jobs.model;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ModelInput;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.manifest.TableShape;
import java.io.Serializable;
import java.util.List;

/**
 * How rows of the examples table become an ONNX model's input: an affine map per feature (the
 * examples' scaling undone, then the model's own normalization, folded into one multiply and
 * add), and channels last for a model that declares [batch, height, width, channels].
 */
final class OnnxFeed implements Serializable {
  static final OnnxFeed AS_STORED = new OnnxFeed(null, null, 1, 1, false);

  /** Per feature, channels first; null when the values go in as stored. */
  private final float[] multiply;
  private final float[] add;
  private final int channels;
  /** Features per channel: height x width. */
  private final int plane;
  /** Whether rows are transposed to channels last (never for one channel: the same order). */
  private final boolean transposed;

  private OnnxFeed(float[] multiply, float[] add, int channels, int plane, boolean transposed) {
    this.multiply = multiply;
    this.add = add;
    this.channels = channels;
    this.plane = plane;
    this.transposed = transposed;
  }

  /**
   * @param stored the scaling prepare recorded for the examples, undone before the model's own
   * @param channelsLast whether the model takes [batch, height, width, channels]
   */
  static OnnxFeed of(ModelInput input, FeatureScaling stored, TableShape shape,
      boolean channelsLast, String role, String location) {
    List<Integer> dims = shape.featureShape();
    int features = shape.featureCount();
    // Channels as prepare's channel-standard counts them: the first axis of a shape of two or
    // more, one channel for a flat vector.
    int channelCount = dims.size() >= 2 ? dims.get(0) : 1;
    float[] multiply = null;
    float[] add = null;
    if (!input.keepsValues()) {
      for (List<Double> values : List.of(input.mean(), input.std())) {
        if (!values.isEmpty() && values.size() != channelCount) {
          throw new DistillException(role + " " + location + ": its input's mean and std "
              + "give " + values.size() + " values, but the examples have " + channelCount
              + " channel" + (channelCount == 1 ? "" : "s") + " (shape " + dims + ")");
        }
      }
      multiply = new float[features];
      add = new float[features];
      int perChannel = features / channelCount;
      for (int f = 0; f < features; f++) {
        // raw = stored * rawMultiply + rawAdd: prepare's scaling undone (it is affine)
        double rawAdd = stored == null ? 0 : stored.unapply(f, 0);
        double rawMultiply = stored == null ? 1 : stored.unapply(f, 1) - rawAdd;
        int c = f / perChannel;
        double mean = input.mean().isEmpty() ? 0 : input.mean().get(c);
        double std = input.std().isEmpty() ? 1 : input.std().get(c);
        multiply[f] = (float) (rawMultiply * input.scale() / std);
        add[f] = (float) ((rawAdd * input.scale() - mean) / std);
      }
    }
    boolean transposed = channelsLast && channelCount > 1;
    return transposed || multiply != null
        ? new OnnxFeed(multiply, add, channelCount, features / channelCount, transposed)
        : AS_STORED;
  }

  boolean changesRows() {
    return multiply != null || transposed;
  }

  boolean transposes() {
    return transposed;
  }

  /** {@code count} rows as the model takes them; the rows themselves when nothing changes. */
  float[] apply(float[] rows, int count) {
    if (!changesRows()) {
      return rows;
    }
    int features = channels * plane;
    float[] fed = new float[count * features];
    for (int r = 0; r < count; r++) {
      int base = r * features;
      for (int f = 0; f < features; f++) {
        float value = multiply == null ? rows[base + f]
            : rows[base + f] * multiply[f] + add[f];
        // channels first (c, y, x) to channels last (y, x, c)
        int target = transposed ? (f % plane) * channels + f / plane : f;
        fed[base + target] = value;
      }
    }
    return fed;
  }
}
