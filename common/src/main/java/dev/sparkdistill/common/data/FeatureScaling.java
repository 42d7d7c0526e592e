package dev.sparkdistill.common.data;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.Serializable;
import java.util.List;

/**
 * How raw feature values were turned into the stored ones; kept in the manifest so that
 * inference on new raw data applies the same.
 *
 * <p>{@code linear} is one affine map for every feature ({@code x * multiply + add}).
 * {@code standard} and {@code min-max} are fitted per feature on the labeled rows of the training
 * split, so validation and test rows never shape them; the fit is stored as an offset and a factor
 * per feature ({@code (x - offset) * factor}): mean and 1/std, or minimum and 1/(max - min). A
 * feature that is constant on those rows gets factor 1, so it becomes 0, never NaN.
 * {@code channel-standard} is the image normalization: one mean and standard deviation per
 * channel of channels-first examples ({@code [C, H, W]}), over every pixel of the channel; it is
 * stored as one offset and factor per channel, each covering {@code featuresPerChannel} features.
 *
 * @param offsets per feature (per channel for channel-standard), for the fitted kinds; null
 *     otherwise
 * @param factors per feature (per channel for channel-standard), for the fitted kinds; null
 *     otherwise
 * @param fittedRows how many rows the fit saw; 0 for the other kinds
 * @param featuresPerChannel for channel-standard, the features each offset and factor covers
 *     ({@code H * W}); null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeatureScaling(Kind kind, double multiply, double add, List<Double> offsets,
    List<Double> factors, long fittedRows, Integer featuresPerChannel) implements Serializable {
  public enum Kind {
    NONE, LINEAR, STANDARD, MIN_MAX, CHANNEL_STANDARD;

    /** Whether the kind is fitted on the data rather than given. */
    public boolean fitted() {
      return this == STANDARD || this == MIN_MAX || this == CHANNEL_STANDARD;
    }
  }

  public static final FeatureScaling NONE = new FeatureScaling(Kind.NONE, 1.0, 0.0);

  public FeatureScaling(Kind kind, double multiply, double add) {
    this(kind, multiply, add, null, null, 0, null);
  }

  /**
   * The fitted scaling from each feature's statistics on the training rows.
   *
   * @param mean, std, min, max per feature ({@code std} the population standard deviation)
   */
  public static FeatureScaling fit(Kind kind, double[] mean, double[] std, double[] min,
      double[] max, long rows) {
    if (!kind.fitted() || kind == Kind.CHANNEL_STANDARD) {
      throw new IllegalArgumentException(kind + " is not fitted");
    }
    int n = mean.length;
    Double[] offsets = new Double[n];
    Double[] factors = new Double[n];
    for (int i = 0; i < n; i++) {
      double spread = kind == Kind.STANDARD ? std[i] : max[i] - min[i];
      offsets[i] = kind == Kind.STANDARD ? mean[i] : min[i];
      factors[i] = spread > 0 && Double.isFinite(spread) ? 1.0 / spread : 1.0;
    }
    return new FeatureScaling(kind, 1.0, 0.0, List.of(offsets), List.of(factors), rows, null);
  }

  /**
   * The channel-standard scaling from each feature's statistics on the training rows: a
   * channel's mean is the mean of its features' means (every feature saw the same rows), and its
   * variance the mean of its features' second moments less the square of that mean.
   *
   * @param mean, std per feature, channels-first ({@code std} the population standard deviation)
   */
  public static FeatureScaling fitChannels(double[] mean, double[] std, int channels,
      long rows) {
    if (channels < 1 || mean.length % channels != 0) {
      throw new IllegalArgumentException(mean.length + " features do not split into "
          + channels + " channels");
    }
    int perChannel = mean.length / channels;
    Double[] offsets = new Double[channels];
    Double[] factors = new Double[channels];
    for (int c = 0; c < channels; c++) {
      double sum = 0;
      double squares = 0;
      for (int i = c * perChannel; i < (c + 1) * perChannel; i++) {
        sum += mean[i];
        squares += std[i] * std[i] + mean[i] * mean[i];
      }
      double channelMean = sum / perChannel;
      double spread = Math.sqrt(Math.max(0, squares / perChannel - channelMean * channelMean));
      offsets[c] = channelMean;
      factors[c] = spread > 0 && Double.isFinite(spread) ? 1.0 / spread : 1.0;
    }
    return new FeatureScaling(Kind.CHANNEL_STANDARD, 1.0, 0.0, List.of(offsets),
        List.of(factors), rows, perChannel);
  }

  /** How many features a fitted scaling covers. */
  @JsonIgnore
  public int fittedFeatureCount() {
    if (!kind.fitted()) {
      throw new IllegalStateException(kind + " scaling is not fitted");
    }
    return featuresPerChannel == null ? offsets.size() : offsets.size() * featuresPerChannel;
  }

  /** The offset subtracted from feature {@code feature}, for the fitted kinds. */
  public double offset(int feature) {
    return offsets.get(featuresPerChannel == null ? feature : feature / featuresPerChannel);
  }

  /** The factor feature {@code feature} is multiplied by after its offset, for the fitted kinds. */
  public double factor(int feature) {
    return factors.get(featuresPerChannel == null ? feature : feature / featuresPerChannel);
  }

  /** {@link #offset} of every feature, for the fitted kinds. */
  public double[] featureOffsets() {
    return java.util.stream.IntStream.range(0, fittedFeatureCount()).mapToDouble(this::offset)
        .toArray();
  }

  /** {@link #factor} of every feature, for the fitted kinds. */
  public double[] featureFactors() {
    return java.util.stream.IntStream.range(0, fittedFeatureCount()).mapToDouble(this::factor)
        .toArray();
  }

  @JsonIgnore
  public boolean isIdentity() {
    return kind == Kind.NONE || (kind == Kind.LINEAR && multiply == 1.0 && add == 0.0);
  }

  /** The stored value of a raw value of feature {@code feature}. */
  public float apply(int feature, float raw) {
    return switch (kind) {
      case NONE -> raw;
      case LINEAR -> (float) (raw * multiply + add);
      case STANDARD, MIN_MAX, CHANNEL_STANDARD ->
          (float) ((raw - offset(feature)) * factor(feature));
    };
  }

  /**
   * One row's raw values replaced by their stored values, each as {@link #apply(int, float)}
   * gives it: in place, since a row's features are scaled once per row written.
   */
  public void applyInPlace(float[] values) {
    for (int feature = 0; feature < values.length; feature++) {
      values[feature] = apply(feature, values[feature]);
    }
  }

  /**
   * The raw value of feature {@code feature} that this scaling stores as {@code stored}: its
   * inverse, which an exported model's parity check and a teacher with its own normalization
   * start from. Fitted factors are never 0 (a constant feature gets 1).
   */
  public double unapply(int feature, double stored) {
    return switch (kind) {
      case NONE -> stored;
      case LINEAR -> (stored - add) / multiply;
      case STANDARD, MIN_MAX, CHANNEL_STANDARD -> stored / factor(feature) + offset(feature);
    };
  }

  /** The stored value of a raw value, for the kinds that treat every feature alike. */
  public float apply(float raw) {
    if (kind.fitted()) {
      throw new IllegalStateException(kind + " scaling differs per feature");
    }
    return apply(0, raw);
  }
}
