package dev.sparkdistill.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class TabularFeaturesTest {

  @Test
  void measuresOneBrightPixelWhereItIs() {
    byte[] image = new byte[784];
    image[3 * 28 + 5] = (byte) 200;

    double[] f = TabularFeatures.measure(image);
    List<String> names = TabularFeatures.columns();

    assertThat(names).hasSize(f.length).hasSize(74);
    assertThat(f[names.indexOf("row_ink_3")]).isEqualTo(200);
    assertThat(f[names.indexOf("row_ink_4")]).isZero();
    assertThat(f[names.indexOf("column_ink_5")]).isEqualTo(200);
    assertThat(f[names.indexOf("mean")]).isCloseTo(200.0 / 784, within(1e-12));
    assertThat(f[names.indexOf("inked_pixels")]).isEqualTo(1);
    assertThat(f[names.indexOf("bright_share")]).isCloseTo(1.0 / 784, within(1e-12));
    assertThat(new double[] {f[names.indexOf("top")], f[names.indexOf("bottom")],
        f[names.indexOf("left")], f[names.indexOf("right")], f[names.indexOf("height")],
        f[names.indexOf("width")], f[names.indexOf("center_y")], f[names.indexOf("center_x")]})
        .containsExactly(3, 3, 5, 5, 1, 1, 3, 5);
    assertThat(f[names.indexOf("spread_y")]).isZero();
    // the pixel against its mirror image (x = 22) and its flip (y = 24), both ways
    assertThat(f[names.indexOf("mirror_difference")]).isEqualTo(400);
    assertThat(f[names.indexOf("flip_difference")]).isEqualTo(400);
    assertThat(f[names.indexOf("edges")]).as("into and out of the pixel").isEqualTo(2);
    assertThat(f[names.indexOf("peak")]).isEqualTo(200);
  }
}
