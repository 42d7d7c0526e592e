package dev.sparkdistill.jobs.bench;

import com.typesafe.config.Config;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.SourceFormat;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.io.IdxReader;
import dev.sparkdistill.common.manifest.TableShape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;
import java.util.function.ToIntFunction;
import javax.imageio.ImageIO;

/**
 * Writes IDX images (Fashion-MNIST) as image files in the ImageFolder layout, a folder per class
 * named by {@code folderNames}, so that {@code prepare.format = images} can be tried and measured
 * on files whose pixels are known.
 */
public final class ImageFolders {
  /** One file written: where, from which IDX item, with which label. */
  public record Written(Path file, int index, int label, byte[] pixels) {}

  private ImageFolders() {}

  /**
   * The IDX config whose train and test images and labels become files, checked before
   * anything is written.
   *
   * @param command how the refusal names the caller
   */
  public static PrepareConfig idxConfig(Config resolved, String command) {
    PrepareConfig config = PrepareConfig.from(resolved);
    if (config.format() != SourceFormat.IDX
        || config.input(Split.TEST).isEmpty()
        || !config.idxLabels().containsKey(Split.TRAIN)
        || !config.idxLabels().containsKey(Split.TEST)) {
      throw new DistillException(command + " writes the IDX train and "
          + "test images and labels of section prepare: give a config such as "
          + "conf/fashion-mnist.conf");
    }
    return config;
  }

  /**
   * Writes {@code target} through a temporary sibling renamed into place, unless it exists: a
   * run cut short leaves no output that looks complete.
   *
   * @param what what the writer's count counts, e.g. "PNG files"
   * @param writer writes to the path it is given and returns how many {@code what}
   */
  public static void writeOnce(Path target, String what, PrintWriter out,
      ToIntFunction<Path> writer) {
    if (Files.exists(target)) {
      out.printf("%s exists; kept%n", target);
      out.flush();
      return;
    }
    Path staging = target.resolveSibling("." + target.getFileName() + ".writing");
    long start = System.nanoTime();
    try {
      Files.createDirectories(target.toAbsolutePath().getParent());
      int count = writer.applyAsInt(staging);
      Files.move(staging, target);
      out.printf(Locale.ROOT, "wrote %,d %s to %s in %.1f s%n", count, what, target,
          (System.nanoTime() - start) / 1e9);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }

  /** A folder name per class: the class names, with '/' (as in T-shirt/top) made '-'. */
  public static List<String> folderNames(PrepareConfig idx) {
    return TableShape.namesOrIndexes(idx.classNames(), 10)
        .stream().map(name -> name.replace('/', '-')).toList();
  }

  /**
   * @param limit most images to write
   * @param asJpeg which items are written as JPEG rather than PNG
   */
  public static List<Written> write(Path images, Path labels, Path root,
      List<String> folderNames, int limit, IntPredicate asJpeg) {
    return write(images, labels, root, folderNames, limit, asJpeg, 0);
  }

  /**
   * @param photoSide when positive, every image is enlarged (bilinear) to this side and written
   *     as an RGB JPEG, the size and kind of file a photo collection holds
   */
  public static List<Written> write(Path images, Path labels, Path root,
      List<String> folderNames, int limit, IntPredicate asJpeg, int photoSide) {
    List<Written> written = new ArrayList<>();
    try (IdxReader imageReader = IdxReader.open(Files.newInputStream(images), images.toString());
        IdxReader labelReader = IdxReader.open(Files.newInputStream(labels), labels.toString())) {
      int[] shape = imageReader.header().itemShape(); // [1, rows, columns]
      int rows = shape[1];
      int columns = shape[2];
      long count = Math.min(limit, Math.min(imageReader.header().itemCount(),
          labelReader.header().itemCount()));
      for (Path folder : folderNames.stream().map(root::resolve).toList()) {
        Files.createDirectories(folder);
      }
      for (int i = 0; i < count; i++) {
        byte[] pixels = imageReader.nextItem().clone(); // the reader reuses its buffer
        int label = labelReader.nextItem()[0] & 0xFF;
        String format = asJpeg.test(i) || photoSide > 0 ? "jpg" : "png";
        Path file = root.resolve(folderNames.get(label)).resolve(String.format("%05d.%s", i,
            format));
        if (photoSide > 0) {
          writePhoto(pixels, rows, columns, photoSide, file);
        } else {
          writeGrey(pixels, rows, columns, format, file);
        }
        written.add(new Written(file, i, label, pixels));
      }
      return written;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write images from " + images + " to " + root, e);
    }
  }

  private static void writePhoto(byte[] pixels, int rows, int columns, int side, Path file)
      throws IOException {
    BufferedImage grey = new BufferedImage(columns, rows, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setDataElements(0, 0, columns, rows, pixels);
    BufferedImage photo = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = photo.createGraphics();
    g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION,
        java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(grey, 0, 0, side, side, null);
    g.dispose();
    try (OutputStream out = Files.newOutputStream(file)) {
      ImageIO.write(photo, "jpg", out);
    }
  }

  static void writeGrey(byte[] pixels, int rows, int columns, String format, Path file)
      throws IOException {
    BufferedImage image = new BufferedImage(columns, rows, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, columns, rows, pixels);
    try (OutputStream out = Files.newOutputStream(file)) {
      if (!ImageIO.write(image, format, out)) {
        throw new IOException("no image writer for " + format);
      }
    }
  }
}
