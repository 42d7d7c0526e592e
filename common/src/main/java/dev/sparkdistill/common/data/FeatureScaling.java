package dev.sparkdistill.common.data;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.io.Serializable;

/**
 * How raw feature values were turned into the stored ones; kept in the manifest so that
 * inference on new raw data applies the same.
 */
public record FeatureScaling(Kind kind, double multiply, double add) implements Serializable {
  public enum Kind { NONE, LINEAR }

  public static final FeatureScaling NONE = new FeatureScaling(Kind.NONE, 1.0, 0.0);

  @JsonIgnore
  public boolean isIdentity() {
    return kind == Kind.NONE || (multiply == 1.0 && add == 0.0);
  }

  public float apply(float raw) {
    return kind == Kind.NONE ? raw : (float) (raw * multiply + add);
  }
}
