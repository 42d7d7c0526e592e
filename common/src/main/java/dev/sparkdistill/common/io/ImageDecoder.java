package dev.sparkdistill.common.io;

import dev.sparkdistill.common.config.ImageOptions;
import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import dev.sparkdistill.common.data.RejectReason;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
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
 *
 * <p>JPEGs are read by the JDK's reader, which decodes ordinary (YCbCr and grey) JPEGs faster than
 * TwelveMonkeys' (it wraps the JDK's and parses each file's segments first). What it gets wrong
 * or refuses goes to TwelveMonkeys' reader: CMYK and YCCK files, which the JDK returns as CMYK images whose colours
 * come out tens of levels off without an embedded profile (its fallback colour space takes the
 * inks for linear light), and files it cannot read at all (lossless JPEG, malformed segments).
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
    BufferedImage image;
    try (ImageInputStream in = stream(file)) {
      ImageReader reader = firstReader(in);
      if (reader == null) {
        throw new UnusableImage(RejectReason.UNDECODABLE_IMAGE, "no image reader recognizes "
            + "the file (it begins " + hex(file) + ")");
      }
      boolean jdkJpeg = reader.getOriginatingProvider() != null
          && JDK_JPEG.equals(reader.getOriginatingProvider().getClass().getName());
      boolean secondReader = jdkJpeg && TwelveMonkeys.JPEG != null;
      try {
        image = read(reader, in);
      } catch (Unreadable e) {
        if (!secondReader) {
          throw e.unusable;
        }
        image = null;
      } finally {
        reader.dispose();
      }
      if (secondReader && (image == null
          || image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK)) {
        image = readWithTwelveMonkeys(file);
      }
    } catch (IOException e) {
      throw new UnusableImage(RejectReason.UNDECODABLE_IMAGE, "cannot read the file: "
          + innermost(e));
    }
    float[][] planes = toChannels(planes(image,
        options.channels() == ImageOptions.Channels.GRAYSCALE));
    return ImageResampling.fit(planes, image.getHeight(), image.getWidth(), options);
  }

  /** The JDK's JPEG reader's provider, named: its package is internal to the JDK. */
  private static final String JDK_JPEG = "com.sun.imageio.plugins.jpeg.JPEGImageReaderSpi";

  private static ImageInputStream stream(byte[] file) {
    return new MemoryCacheImageInputStream(new ByteArrayInputStream(file));
  }

  /**
   * The first reader ImageIO would offer, passing over TwelveMonkeys' JPEG reader (see above).
   * Chosen among the providers, so that no reader is made that is not used.
   */
  private static ImageReader firstReader(ImageInputStream in) throws IOException {
    Iterator<ImageReaderSpi> providers = IIORegistry.getDefaultInstance()
        .getServiceProviders(ImageReaderSpi.class, true);
    ImageReaderSpi passedOver = null;
    while (providers.hasNext()) {
      ImageReaderSpi provider = providers.next();
      in.mark();
      boolean decodes;
      try {
        decodes = provider.canDecodeInput(in);
      } catch (IOException e) {
        // A probe that cannot read its magic bytes (a file of a few bytes): not this reader's
        // file, as ImageIO's own search counts it.
        decodes = false;
      } finally {
        in.reset();
      }
      if (decodes && provider instanceof JPEGImageReaderSpi) {
        passedOver = provider;
      } else if (decodes) {
        return provider.createReaderInstance();
      }
    }
    return passedOver == null ? null : passedOver.createReaderInstance();
  }

  private BufferedImage readWithTwelveMonkeys(byte[] file) throws UnusableImage, IOException {
    try (ImageInputStream in = stream(file)) {
      ImageReader reader = TwelveMonkeys.JPEG.createReaderInstance();
      try {
        return read(reader, in);
      } catch (Unreadable e) {
        throw e.unusable;
      } finally {
        reader.dispose();
      }
    }
  }

  /**
   * TwelveMonkeys' JPEG reader's provider, registered with ImageIO if the service file was not
   * seen (ImageIO scans for plugins once per JVM, with whichever class loader asks first); null
   * when it cannot work here (it deregisters itself when it finds no JDK reader to delegate to),
   * and then the JDK's reader alone reads JPEGs.
   */
  private static final class TwelveMonkeys {
    static final JPEGImageReaderSpi JPEG = registered();

    private static JPEGImageReaderSpi registered() {
      IIORegistry registry = IIORegistry.getDefaultInstance();
      JPEGImageReaderSpi spi = registry.getServiceProviderByClass(JPEGImageReaderSpi.class);
      if (spi == null) {
        registry.registerServiceProvider(new JPEGImageReaderSpi());
        spi = registry.getServiceProviderByClass(JPEGImageReaderSpi.class);
      }
      return spi;
    }
  }

  /** A reader's error (not damage, not a size limit): another reader may still read the file. */
  private static final class Unreadable extends Exception {
    final UnusableImage unusable;

    Unreadable(UnusableImage unusable) {
      super(null, null, false, false);
      this.unusable = unusable;
    }
  }

  private BufferedImage read(ImageReader reader, ImageInputStream in)
      throws UnusableImage, Unreadable {
    // Named only in messages: most files never need it.
    java.util.function.Supplier<String> format = () -> formatName(reader);
    List<String> warnings = new ArrayList<>();
    BufferedImage image;
    try {
      reader.setInput(in, true, true);
      boolean twelveMonkeys = reader.getOriginatingProvider() instanceof JPEGImageReaderSpi;
      reader.addIIOReadWarningListener((source, warning) -> {
        if (!(twelveMonkeys && isColourNote(warning))) {
          warnings.add(warning);
        }
      });
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
      throw new Unreadable(new UnusableImage(RejectReason.UNDECODABLE_IMAGE, format.get()
          + " image cannot be decoded: " + innermost(e)));
    }
    if (!warnings.isEmpty()) {
      throw new UnusableImage(RejectReason.UNDECODABLE_IMAGE, format.get() + " image is damaged: "
          + warnings.get(0));
    }
    return image;
  }

  /**
   * TwelveMonkeys' notes on colour management ("No embedded ICC color profile, will convert
   * using inaccurate CMYK to RGB conversion"): the file is whole, its colours approximate.
   */
  private static boolean isColourNote(String warning) {
    return warning.contains("ICC") || warning.contains("color profile");
  }

  /** A pixel's luma (ITU-R BT.601 weights), however its planes were read. */
  private static float luma(float red, float green, float blue) {
    return 0.299f * red + 0.587f * green + 0.114f * blue;
  }

  /**
   * The image's grey plane, or its red, green and blue planes, 0-255; with {@code luma}, a colour
   * image read from its bytes comes back as its luma plane already.
   */
  static float[][] planes(BufferedImage image, boolean luma) {
    int width = image.getWidth();
    int height = image.getHeight();
    Raster raster = image.getRaster();
    ColorModel model = image.getColorModel();
    boolean components = model instanceof ComponentColorModel;
    boolean grey = components && model.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    boolean rgb = components && model.getColorSpace().isCS_sRGB()
        && raster.getNumBands() >= 3;
    if ((grey || rgb) && raster.getDataBuffer() instanceof DataBufferByte bytes
        && raster.getSampleModel() instanceof PixelInterleavedSampleModel layout
        && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0
        && bytes.getNumBanks() == 1 && bytes.getOffset() == 0
        && allEightBits(model, grey ? 1 : 3)) {
      return planes(bytes.getData(), layout, grey ? 1 : 3, luma, width, height);
    }
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

  private static boolean allEightBits(ColorModel model, int channels) {
    for (int c = 0; c < channels; c++) {
      if (model.getComponentSize(c) != 8) {
        return false;
      }
    }
    return true;
  }

  /**
   * The planes of 8-bit interleaved pixels (what the JPEG and most PNG readers return) read from
   * the bytes themselves: through {@code Raster.getSamples} each value is a call down the sample
   * model, which cost as much as decoding a photo.
   */
  private static float[][] planes(byte[] data, PixelInterleavedSampleModel layout, int channels,
      boolean luma, int width, int height) {
    int stride = layout.getPixelStride();
    int scanline = layout.getScanlineStride();
    int[] offsets = layout.getBandOffsets();
    if (luma && channels == 3) {
      // Straight to the one plane asked for: no full-size colour planes to fill and drop.
      float[] grey = new float[width * height];
      for (int y = 0; y < height; y++) {
        int at = y * scanline;
        for (int x = 0; x < width; x++, at += stride) {
          grey[y * width + x] = luma(data[at + offsets[0]] & 0xff,
              data[at + offsets[1]] & 0xff, data[at + offsets[2]] & 0xff);
        }
      }
      return new float[][] {grey};
    }
    float[][] planes = new float[channels][width * height];
    for (int c = 0; c < channels; c++) {
      float[] plane = planes[c];
      for (int y = 0; y < height; y++) {
        int at = y * scanline + offsets[c];
        for (int x = 0; x < width; x++, at += stride) {
          plane[y * width + x] = data[at] & 0xff;
        }
      }
    }
    return planes;
  }

  /** The planes in the configured channels: luma (ITU-R BT.601) for grey, grey repeated for RGB. */
  private float[][] toChannels(float[][] planes) {
    if (options.channels() == ImageOptions.Channels.GRAYSCALE && planes.length == 3) {
      float[] luma = new float[planes[0].length];
      for (int i = 0; i < luma.length; i++) {
        luma[i] = luma(planes[0][i], planes[1][i], planes[2][i]);
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
