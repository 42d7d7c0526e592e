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
 *
 * @param offsets per feature, for the fitted kinds; null otherwise
 * @param factors per feature, for the fitted kinds; null otherwise
 * @param fittedRows how many rows the fit saw; 0 for the other kinds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeatureScaling(Kind kind, double multiply, double add, List<Double> offsets,
    List<Double> factors, long fittedRows) implements Serializable {
  public enum Kind {
    NONE, LINEAR, STANDARD, MIN_MAX;

    /** Whether the kind is fitted on the data rather than given. */
    public boolean fitted() {
      return this == STANDARD || this == MIN_MAX;
    }
  }

  public static final FeatureScaling NONE = new FeatureScaling(Kind.NONE, 1.0, 0.0);

  public FeatureScaling(Kind kind, double multiply, double add) {
    this(kind, multiply, add, null, null, 0);
  }

  /**
   * The fitted scaling from each feature's statistics on the training rows.
   *
   * @param mean, std, min, max per feature ({@code std} the population standard deviation)
   */
  public static FeatureScaling fit(Kind kind, double[] mean, double[] std, double[] min,
      double[] max, long rows) {
    if (!kind.fitted()) {
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
    return new FeatureScaling(kind, 1.0, 0.0, List.of(offsets), List.of(factors), rows);
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
      case STANDARD, MIN_MAX -> (float) ((raw - offsets.get(feature)) * factors.get(feature));
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
