package dev.sparkdistill.jobs.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.ModelInput;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.manifest.TableShape;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** How stored rows become a teacher's input: per-channel normalization and channels last. */
class OnnxFeedTest {
  /** 3 channels of 2 x 2; feature f of a row holds f (channel f / 4, pixel f % 4). */
  private static final TableShape SHAPE = new TableShape("examples", List.of(3, 2, 2), 0, 2,
      List.of("a", "b"));
  private static final float[] ROW = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

  @Test
  void eachChannelIsNormalizedWithItsOwnMeanAndStdAfterTheStoredScalingIsUndone() {
    // Stored = raw / 10, so raw = 10 x stored; then (raw x 2 - mean[c]) / std[c].
    ModelInput input = new ModelInput("t.onnx", ModelInput.Layout.NCHW, 2.0,
        List.of(1.0, 2.0, 3.0), List.of(2.0, 4.0, 8.0));
    OnnxFeed feed = OnnxFeed.of(input, new FeatureScaling(FeatureScaling.Kind.LINEAR, 0.1, 0),
        SHAPE, false, "teacher", "t.onnx");

    assertThat(feed.apply(ROW, 1)).containsExactly(new float[] {
        -0.5f, 9.5f, 19.5f, 29.5f,          // channel 0: (20 f - 1) / 2
        19.5f, 24.5f, 29.5f, 34.5f,         // channel 1: (20 f - 2) / 4
        19.625f, 22.125f, 24.625f, 27.125f  // channel 2: (20 f - 3) / 8
    }, Offset.offset(1e-4f));
  }

  @Test
  void channelsLastInterleavesTheChannelsPixelByPixel() {
    OnnxFeed feed = OnnxFeed.of(ModelInput.asStored("t.onnx"), null, SHAPE, true, "teacher",
        "t.onnx");

    assertThat(feed.changesRows()).isTrue();
    assertThat(feed.apply(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23}, 2)).containsExactly(
        0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23);
  }

  @Test
  void oneChannelChannelsLastIsTheStoredOrderAndCopiesNothing() {
    TableShape grey = new TableShape("examples", List.of(1, 2, 2), 0, 2, List.of("a", "b"));
    OnnxFeed feed = OnnxFeed.of(ModelInput.asStored("t.onnx"), null, grey, true, "teacher",
        "t.onnx");
    float[] rows = {1, 2, 3, 4};

    assertThat(feed.changesRows()).isFalse();
    assertThat(feed.apply(rows, 1)).isSameAs(rows);
  }
}
