package dev.sparkdistill.common.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FeatureScalingTest {

  @Test
  void noneKeepsTheRawValue() {
    assertThat(FeatureScaling.NONE.apply(255f)).isEqualTo(255f);
    assertThat(FeatureScaling.NONE.apply(-1.5f)).isEqualTo(-1.5f);
  }

  @Test
  void noneIgnoresMultiplyAndAdd() {
    FeatureScaling none = new FeatureScaling(FeatureScaling.Kind.NONE, 2.0, 3.0);

    assertThat(none.apply(5f)).isEqualTo(5f);
    assertThat(none.isIdentity()).isTrue();
  }

  @Test
  void linearMultipliesThenAdds() {
    FeatureScaling scaling = new FeatureScaling(FeatureScaling.Kind.LINEAR, 2.0, -1.0);

    assertThat(scaling.apply(3f)).isEqualTo(5f);
    assertThat(scaling.apply(0f)).isEqualTo(-1f);
  }

  @Test
  void linearPixelScalingMapsBytesToUnitInterval() {
    FeatureScaling pixels = new FeatureScaling(FeatureScaling.Kind.LINEAR, 1.0 / 255, 0.0);

    assertThat(pixels.apply(0f)).isZero();
    assertThat(pixels.apply(255f)).isCloseTo(1f, within(1e-7f));
    assertThat(pixels.apply(51f)).isCloseTo(0.2f, within(1e-7f));
  }

  @Test
  void identityOnlyWhenScalingChangesNothing() {
    assertThat(FeatureScaling.NONE.isIdentity()).isTrue();
    assertThat(new FeatureScaling(FeatureScaling.Kind.LINEAR, 1.0, 0.0).isIdentity()).isTrue();
    assertThat(new FeatureScaling(FeatureScaling.Kind.LINEAR, 1.0, 0.5).isIdentity()).isFalse();
    assertThat(new FeatureScaling(FeatureScaling.Kind.LINEAR, 0.5, 0.0).isIdentity()).isFalse();
  }

  @Test
  void aFittedScalingMapsEachFeatureByItsOwnStatisticsAndAConstantOneToZero() {
    double[] mean = {10, 5};
    double[] std = {2, 0};
    double[] min = {4, 5};
    double[] max = {20, 5};
    FeatureScaling standard = FeatureScaling.fit(FeatureScaling.Kind.STANDARD, mean, std, min,
        max, 30);
    assertThat(standard.apply(0, 14f)).isEqualTo(2f);
    assertThat(standard.apply(1, 5f)).isZero();
    assertThat(standard.apply(1, 7f)).as("factor 1 for a constant feature").isEqualTo(2f);
    FeatureScaling minMax = FeatureScaling.fit(FeatureScaling.Kind.MIN_MAX, mean, std, min, max,
        30);
    assertThat(minMax.apply(0, 12f)).isEqualTo(0.5f);
    assertThat(minMax.apply(1, 5f)).isZero();
    assertThat(minMax.fittedRows()).isEqualTo(30);
    assertThat(minMax.isIdentity()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> minMax.apply(3f))
        .hasMessage("MIN_MAX scaling differs per feature");
  }

  @Test
  void channelStandardPoolsEachChannelsPixelsAsATwoPassReferenceDoes() {
    // 5 rows of 2 channels x 3 pixels
    double[][] rows = new double[5][6];
    java.util.Random random = new java.util.Random(11);
    for (double[] row : rows) {
      for (int f = 0; f < 6; f++) {
        row[f] = (f < 3 ? 100 : 10) + random.nextGaussian() * (f < 3 ? 30 : 2);
      }
    }
    double[] mean = new double[6];
    double[] std = new double[6];
    for (int f = 0; f < 6; f++) {
      final int feature = f;
      mean[f] = java.util.Arrays.stream(rows).mapToDouble(r -> r[feature]).average().orElseThrow();
      std[f] = Math.sqrt(java.util.Arrays.stream(rows)
          .mapToDouble(r -> (r[feature] - mean[feature]) * (r[feature] - mean[feature]))
          .average().orElseThrow());
    }

    FeatureScaling scaling = FeatureScaling.fitChannels(mean, std, 2, rows.length);

    for (int c = 0; c < 2; c++) {
      final int from = c * 3;
      double[] values = java.util.Arrays.stream(rows)
          .flatMapToDouble(r -> java.util.Arrays.stream(r, from, from + 3)).toArray();
      double channelMean = java.util.Arrays.stream(values).average().orElseThrow();
      double channelStd = Math.sqrt(java.util.Arrays.stream(values)
          .map(v -> (v - channelMean) * (v - channelMean)).average().orElseThrow());
      for (int f = from; f < from + 3; f++) {
        assertThat(scaling.offset(f)).isCloseTo(channelMean, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(scaling.factor(f)).isCloseTo(1 / channelStd,
            org.assertj.core.data.Offset.offset(1e-9));
      }
    }
    assertThat(scaling.offsets()).hasSize(2);
    assertThat(scaling.fittedFeatureCount()).isEqualTo(6);
    assertThat(scaling.featureOffsets()).hasSize(6);
    assertThat(scaling.apply(4, (float) (scaling.offset(4) + 2 / scaling.factor(4))))
        .isCloseTo(2f, org.assertj.core.data.Offset.offset(1e-5f));
    assertThat(FeatureScaling.fitChannels(new double[] {7, 7}, new double[] {0, 0}, 1, 3)
        .apply(1, 7f)).as("a constant channel becomes 0").isZero();
  }

  @Test
  void unapplyGivesBackTheRawValueOfEveryKind() {
    FeatureScaling linear = new FeatureScaling(FeatureScaling.Kind.LINEAR, 1 / 255.0, -0.5);
    FeatureScaling standard = FeatureScaling.fit(FeatureScaling.Kind.STANDARD,
        new double[] {10, 5}, new double[] {2, 0}, new double[] {4, 5}, new double[] {20, 5}, 3);
    FeatureScaling channels = FeatureScaling.fitChannels(new double[] {1, 3, 100, 120},
        new double[] {1, 1, 10, 10}, 2, 3);
    for (FeatureScaling scaling : java.util.List.of(FeatureScaling.NONE, linear, standard,
        channels)) {
      for (int feature = 0; feature < 2; feature++) {
        float raw = 17.25f + feature;
        assertThat(scaling.unapply(feature, scaling.apply(feature, raw)))
            .as(scaling.kind() + " feature " + feature)
            .isCloseTo(raw, org.assertj.core.data.Offset.offset(1e-4));
      }
    }
    assertThat(channels.unapply(3, 0)).as("channel 1's mean").isEqualTo(channels.offset(3));
  }
}
