package dev.sparkdistill.common.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.config.ImageOptions;
import dev.sparkdistill.common.config.ImageOptions.Channels;
import dev.sparkdistill.common.config.ImageOptions.Fit;
import dev.sparkdistill.common.config.ImageOptions.Layout;
import dev.sparkdistill.common.config.ImageOptions.Resize;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  /** How far a JPEG of noise, averaged down to 4 x 4, may be from its PNG, in 0-255 levels. */
  private static final float JPEG_LEVELS = 1f;


  static ImageOptions options(Channels channels, int height, int width, Fit fit, Resize resize) {
    return new ImageOptions(Layout.FOLDERS, "*", channels, height, width, fit, resize, 0,
        50_000_000, "path", "label");
  }

  private static final ImageOptions GREY_4X4 =
      options(Channels.GRAYSCALE, 4, 4, Fit.STRETCH, Resize.BILINEAR);

  @Test
  void aGreyPngOfTheTargetSizeKeepsItsExactPixels() throws Exception {
    int[] pixels = new Random(3).ints(16, 0, 256).toArray();
    BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setPixels(0, 0, 4, 4, pixels);

    float[] decoded = new ImageDecoder(GREY_4X4).decode(encode(image, "png"));

    assertThat(decoded).containsExactly(toFloats(pixels));
  }

  @Test
  void colourBecomesLumaOrStaysThreePlanes() throws Exception {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xff0000);
    image.setRGB(1, 0, 0x10_80_f0);
    byte[] png = encode(image, "png");

    float[] grey = new ImageDecoder(options(Channels.GRAYSCALE, 1, 2, Fit.STRETCH,
        Resize.AREA)).decode(png);
    float[] rgb = new ImageDecoder(options(Channels.RGB, 1, 2, Fit.STRETCH, Resize.AREA))
        .decode(png);

    assertThat(grey[0]).isCloseTo(0.299f * 255, within(1e-3f));
    assertThat(grey[1]).isCloseTo(0.299f * 16 + 0.587f * 128 + 0.114f * 240, within(1e-3f));
    // channels first: the red plane, then green, then blue
    assertThat(rgb).containsExactly(255, 16, 0, 128, 0, 240);
  }

  @Test
  void greyBecomesThreeEqualPlanesAndSixteenBitsScaleTo255() throws Exception {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
    image.getRaster().setPixels(0, 0, 2, 1, new int[] {65535, 257 * 10});

    float[] rgb = new ImageDecoder(options(Channels.RGB, 1, 2, Fit.STRETCH, Resize.AREA))
        .decode(encode(image, "png"));

    assertThat(rgb).containsExactly(new float[] {255, 10, 255, 10, 255, 10}, within(1e-4f));
  }

  /**
   * CMYK JPEGs as Photoshop writes them (inverted inks behind an Adobe segment, here without an
   * ICC profile): the JDK's reader decodes them into colours tens of levels off.
   */
  @Test
  void cmykJpegsDecodeToTheColoursTheirInksMake() throws Exception {
    BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(11);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        image.setRGB(x, y, random.nextInt(0x1000000));
      }
    }
    // Cyan, magenta and yellow ink where red, green and blue are missing, no black ink.
    java.awt.image.WritableRaster inks = java.awt.image.Raster.createInterleavedRaster(
        java.awt.image.DataBuffer.TYPE_BYTE, 40, 30, 4, null);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        int rgb = image.getRGB(x, y);
        int[] ink = {255 - ((rgb >> 16) & 0xff), 255 - ((rgb >> 8) & 0xff), 255 - (rgb & 0xff), 0};
        for (int c = 0; c < 4; c++) {
          ink[c] = 255 - ink[c]; // Adobe stores 255 for no ink
        }
        inks.setPixel(x, y, ink);
      }
    }
    ImageDecoder rgb = new ImageDecoder(options(Channels.RGB, 4, 4, Fit.STRETCH, Resize.AREA));

    float[] fromCmyk = rgb.decode(adobeCmykJpeg(inks));
    float[] fromPng = rgb.decode(encode(image, "png"));

    assertThat(fromCmyk).hasSize(48);
    for (int i = 0; i < 48; i++) {
      assertThat(fromCmyk[i]).as("value " + i).isCloseTo(fromPng[i], within(JPEG_LEVELS));
    }
  }

  /** A 4-channel JPEG with Adobe's APP14 segment saying CMYK (transform 0), as Photoshop writes. */
  private static byte[] adobeCmykJpeg(java.awt.image.Raster inks) throws IOException {
    javax.imageio.ImageWriter writer = null;
    for (var writers = ImageIO.getImageWritersByFormatName("jpeg"); writers.hasNext();) {
      javax.imageio.ImageWriter candidate = writers.next();
      if (candidate.getClass().getName().startsWith("com.sun.")) {
        writer = candidate;
      }
    }
    assertThat(writer).as("the JDK's JPEG writer, which writes 4-channel rasters").isNotNull();
    javax.imageio.ImageWriteParam quality = writer.getDefaultWriteParam();
    quality.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
    quality.setCompressionQuality(0.95f);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var stream = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.write(null, new javax.imageio.IIOImage(inks, null, null), quality);
    } finally {
      writer.dispose();
    }
    byte[] plain = out.toByteArray();
    byte[] adobe = {(byte) 0xff, (byte) 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0,
        0};
    byte[] jpeg = new byte[plain.length + adobe.length];
    System.arraycopy(plain, 0, jpeg, 0, 2); // SOI, then the Adobe segment
    System.arraycopy(adobe, 0, jpeg, 2, adobe.length);
    System.arraycopy(plain, 2, jpeg, 2 + adobe.length, plain.length - 2);
    return jpeg;
  }

  @Test
  void badFilesAreRejectedWithTheirReason() throws Exception {
    BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_BYTE_GRAY);
    new Random(5).ints(1200, 0, 256).forEach(new java.util.function.IntConsumer() {
      int i;

      @Override
      public void accept(int value) {
        image.getRaster().setSample(i % 40, i++ / 40, 0, value);
      }
    });
    byte[] png = encode(image, "png");
    byte[] jpeg = encode(image, "jpg");
    ImageDecoder decoder = new ImageDecoder(GREY_4X4);

    assertThat(reason(decoder, new byte[0])).startsWith("empty_file:");
    assertThat(reason(decoder, "label,path\n".getBytes(StandardCharsets.UTF_8)))
        .startsWith("undecodable_image: no image reader recognizes the file (it begins 0x6c6162");
    // Shorter than any format's magic bytes: the readers' probes cannot read them.
    assertThat(reason(decoder, new byte[] {1, 2, 3})).isEqualTo("undecodable_image: no image "
        + "reader recognizes the file (it begins 0x010203)");
    assertThat(reason(decoder, Arrays.copyOf(png, png.length / 2)))
        .startsWith("undecodable_image: PNG image cannot be decoded");
    assertThat(reason(decoder, Arrays.copyOf(jpeg, jpeg.length / 2)))
        .startsWith("undecodable_image: JPEG image");
    assertThat(reason(new ImageDecoder(new ImageOptions(Layout.FOLDERS, "*", Channels.GRAYSCALE,
        4, 4, Fit.STRETCH, Resize.AREA, 31, 10_000, "path", "label")), png))
        .isEqualTo("image_too_small: PNG image of 40 x 30 pixels, a side below "
            + "prepare.images.min-side = 31");
    assertThat(reason(new ImageDecoder(new ImageOptions(Layout.FOLDERS, "*", Channels.GRAYSCALE,
        4, 4, Fit.STRETCH, Resize.AREA, 0, 1199, "path", "label")), png))
        .isEqualTo("image_too_large: PNG image of 40 x 30 pixels, more than "
            + "prepare.images.max-pixels = 1199");
    // The JPEG is refused only for damage: lossy as it is, averaged down to 4 x 4 it is the PNG.
    float[] fromJpeg = decoder.decode(jpeg);
    float[] fromPng = decoder.decode(png);
    assertThat(fromJpeg).hasSize(16);
    for (int i = 0; i < 16; i++) {
      assertThat(fromJpeg[i]).as("pixel " + i).isCloseTo(fromPng[i], within(JPEG_LEVELS));
    }
  }

  @Test
  void areaAveragesWhatEachTargetPixelCovers() {
    float[][] plane = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

    float[] half = ImageResampling.fit(plane, 4, 4, options(Channels.GRAYSCALE, 2, 2,
        Fit.STRETCH, Resize.AREA));
    // 4 -> 3 columns: target pixels cover [0, 4/3), [4/3, 8/3) and [8/3, 4) of the source
    float[] row = ImageResampling.fit(new float[][] {{1, 2, 3, 4}}, 1, 4,
        options(Channels.GRAYSCALE, 1, 3, Fit.STRETCH, Resize.AREA));

    assertThat(half).containsExactly(3.5f, 5.5f, 11.5f, 13.5f);
    assertThat(row[0]).isCloseTo((1 + 2 / 3f) / (4 / 3f), within(1e-5f));
    assertThat(row[1]).isCloseTo((2 * 2 / 3f + 3 * 2 / 3f) / (4 / 3f), within(1e-5f));
    assertThat(row[2]).isCloseTo((3 / 3f + 4) / (4 / 3f), within(1e-5f));
  }

  @Test
  void bilinearInterpolatesWhenEnlargingAndAveragesWhenShrinking() {
    float[] wider = ImageResampling.fit(new float[][] {{0, 10}}, 1, 2,
        options(Channels.GRAYSCALE, 1, 4, Fit.STRETCH, Resize.BILINEAR));
    float[] narrower = ImageResampling.fit(new float[][] {{0, 10, 20, 30}}, 1, 4,
        options(Channels.GRAYSCALE, 1, 2, Fit.STRETCH, Resize.BILINEAR));

    // target centers 0.25, 0.75, 1.25, 1.75 in source pixels; clamped at the edges
    assertThat(wider).containsExactly(0f, 2.5f, 7.5f, 10f);
    // shrinking by 2 widens the triangle to 2 pixels each side of the center (1.0 and 3.0):
    // weights 3, 3, 1 (sevenths), the pixel beyond the edge left out
    assertThat(narrower[0]).isCloseTo((0 * 3 + 10 * 3 + 20 * 1) / 7f, within(1e-4f));
    assertThat(narrower[1]).isCloseTo((10 * 1 + 20 * 3 + 30 * 3) / 7f, within(1e-4f));
  }

  @Test
  void centerCropTakesTheMiddleAndPadAddsBlackBorders() {
    float[][] wide = {{1, 2, 3, 4, 5, 6, 7, 8}}; // 2 rows x 4 columns

    float[] cropped = ImageResampling.fit(wide, 2, 4, options(Channels.GRAYSCALE, 2, 2,
        Fit.CENTER_CROP, Resize.AREA));
    float[] padded = ImageResampling.fit(wide, 2, 4, options(Channels.GRAYSCALE, 4, 4,
        Fit.PAD, Resize.AREA));

    assertThat(cropped).containsExactly(2, 3, 6, 7);
    assertThat(padded).containsExactly(0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0);
  }

  private static float[] toFloats(int[] values) {
    float[] floats = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      floats[i] = values[i];
    }
    return floats;
  }

  private static String reason(ImageDecoder decoder, byte[] file) {
    try {
      decoder.decode(file);
      return "decoded";
    } catch (ImageDecoder.UnusableImage e) {
      return e.getMessage();
    }
  }

  static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, format, out)) {
      throw new IOException("no writer for " + format);
    }
    return out.toByteArray();
  }
}
