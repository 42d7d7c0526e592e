package dev.sparkdistill.common.io;

import dev.sparkdistill.common.config.ImageOptions;
import dev.sparkdistill.common.data.RejectReason;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes one image file (any format javax.imageio reads: PNG, JPEG, GIF, BMP, TIFF) into the
 * example's features: the configured channels, resized to the configured height and width,
 * channels first, values 0-255.
 *
 * <p>Grey and RGB images are read from their samples, scaled from their bit depth to 0-255; other
 * colour models (palettes, packed pixels) through their sRGB values. Reading grey images through
 * sRGB would change their values (Java converts linear grey), so lossless grey files keep the
 * exact pixel values they were written with. A reader's warning (a truncated JPEG decodes with a
 * grey tail and only a warning) rejects the image like an error does. Streams are cached in
 * memory, never in temporary files.
 */
public final class ImageDecoder implements Serializable {
  /** An image that cannot become an example; the message is the reject reason. */
  public static final class UnusableImage extends Exception {
    UnusableImage(RejectReason reason, String detail) {
      super(reason.because(detail), null, false, false);
    }
  }

  private final ImageOptions options;

  public ImageDecoder(ImageOptions options) {
    this.options = options;
  }

  /** The example's features, {@code channels * height * width} values. */
  public float[] decode(byte[] file) throws UnusableImage {
    if (file.length == 0) {
      throw new UnusableImage(RejectReason.EMPTY_FILE, "the file has 0 bytes");
    }
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(file))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new UnusableImage(RejectReason.UNDECODABLE_IMAGE, "no image reader recognizes "
            + "the file (it begins " + hex(file) + ")");
      }
      ImageReader reader = readers.next();
      try {
        return read(reader, in);
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      throw new UnusableImage(RejectReason.UNDECODABLE_IMAGE, "cannot read the file: "
          + innermost(e));
    }
  }

  private float[] read(ImageReader reader, ImageInputStream in) throws UnusableImage {
    // Named only in messages: most files never need it.
    java.util.function.Supplier<String> format = () -> formatName(reader);
    List<String> warnings = new ArrayList<>();
    BufferedImage image;
    try {
      reader.setInput(in, true, true);
      reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      int width = reader.getWidth(0);
      int height = reader.getHeight(0);
      if ((long) width * height > options.maxPixels()) {
        throw new UnusableImage(RejectReason.IMAGE_TOO_LARGE, format.get() + " image of " + width
            + " x " + height + " pixels, more than prepare.images.max-pixels = "
            + options.maxPixels());
      }
      if (Math.min(width, height) < options.minSide()) {
        throw new UnusableImage(RejectReason.IMAGE_TOO_SMALL, format.get() + " image of " + width
            + " x " + height + " pixels, a side below prepare.images.min-side = "
            + options.minSide());
      }
      image = reader.read(0);
    } catch (IOException | RuntimeException e) {
      // Damaged files make some readers throw unchecked exceptions (array bounds, arguments).
      throw new UnusableImage(RejectReason.UNDECODABLE_IMAGE, format.get() + " image cannot be "
          + "decoded: " + innermost(e));
    }
    if (!warnings.isEmpty()) {
      throw new UnusableImage(RejectReason.UNDECODABLE_IMAGE, format.get() + " image is damaged: "
          + warnings.get(0));
    }
    float[][] planes = toChannels(planes(image));
    return ImageResampling.fit(planes, image.getHeight(), image.getWidth(), options);
  }

  /** The image's grey plane, or its red, green and blue planes, 0-255. */
  static float[][] planes(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    Raster raster = image.getRaster();
    ColorModel model = image.getColorModel();
    boolean components = model instanceof ComponentColorModel;
    boolean grey = components && model.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    boolean rgb = components && model.getColorSpace().isCS_sRGB()
        && raster.getNumBands() >= 3;
    if (grey || rgb) {
      float[][] planes = new float[grey ? 1 : 3][];
      for (int c = 0; c < planes.length; c++) {
        planes[c] = raster.getSamples(0, 0, width, height, c, new float[width * height]);
        int bits = model.getComponentSize(c);
        if (bits != 8) {
          float scale = (float) (255.0 / ((1L << bits) - 1));
          for (int i = 0; i < planes[c].length; i++) {
            planes[c][i] *= scale;
          }
        }
      }
      return planes;
    }
    int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
    float[][] planes = new float[3][argb.length];
    for (int i = 0; i < argb.length; i++) {
      planes[0][i] = (argb[i] >> 16) & 0xff;
      planes[1][i] = (argb[i] >> 8) & 0xff;
      planes[2][i] = argb[i] & 0xff;
    }
    return planes;
  }

  /** The planes in the configured channels: luma (ITU-R BT.601) for grey, grey repeated for RGB. */
  private float[][] toChannels(float[][] planes) {
    if (options.channels() == ImageOptions.Channels.GRAYSCALE && planes.length == 3) {
      float[] luma = new float[planes[0].length];
      for (int i = 0; i < luma.length; i++) {
        luma[i] = 0.299f * planes[0][i] + 0.587f * planes[1][i] + 0.114f * planes[2][i];
      }
      return new float[][] {luma};
    }
    if (options.channels() == ImageOptions.Channels.RGB && planes.length == 1) {
      return new float[][] {planes[0], planes[0], planes[0]};
    }
    return planes;
  }

  private static String formatName(ImageReader reader) {
    try {
      return reader.getFormatName().toUpperCase(java.util.Locale.ROOT);
    } catch (IOException e) {
      return "image";
    }
  }

  private static String innermost(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause == e ? String.valueOf(e.getMessage())
        : e.getMessage() + " (" + cause.getMessage() + ")";
    return message.lines().findFirst().orElse(e.getClass().getSimpleName());
  }

  private static String hex(byte[] file) {
    StringBuilder text = new StringBuilder("0x");
    for (int i = 0; i < Math.min(8, file.length); i++) {
      text.append(String.format("%02x", file[i] & 0xff));
    }
    return text.toString();
  }
}
