package dev.sparkdistill.jobs.prepare;

import static dev.sparkdistill.jobs.prepare.PrepareFixtures.config;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.manifest;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.bench.ImageFolders;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare on Fashion-MNIST written out as image files: 300 training images in class folders
 * (every 25th a JPEG) with bad files planted, 100 test images; the PNG pixels must come back
 * exactly as the IDX file holds them.
 */
public class PrepareImagesTest extends SparkTestBase {
  private static final Path SLICE = resource("fashion-mnist-slice");
  private static final List<String> FOLDERS = IntStream.range(0, 10)
      .mapToObj(i -> "class-" + i).toList();

  @TempDir
  static Path images;

  @TempDir
  Path tmp;

  private static Map<String, ImageFolders.Written> writtenById = new HashMap<>();

  @BeforeAll
  static void writeImages() throws IOException {
    for (ImageFolders.Written w : ImageFolders.write(
        SLICE.resolve("train-images-idx3-ubyte.gz"), SLICE.resolve("train-labels-idx1-ubyte.gz"),
        images.resolve("train"), FOLDERS, 300, i -> i % 25 == 0)) {
      writtenById.put("train/" + images.resolve("train").relativize(w.file()), w);
    }
    ImageFolders.write(SLICE.resolve("t10k-images-idx3-ubyte.gz"),
        SLICE.resolve("t10k-labels-idx1-ubyte.gz"), images.resolve("test"), FOLDERS, 100,
        i -> false);
    Path train = images.resolve("train");
    byte[] png = Files.readAllBytes(train.resolve("class-1").resolve(
        Files.list(train.resolve("class-1")).filter(p -> p.toString().endsWith(".png"))
            .findFirst().orElseThrow().getFileName()));
    Files.write(train.resolve("class-3/truncated.png"), Arrays.copyOf(png, png.length / 2));
    Files.write(train.resolve("class-4/empty.png"), new byte[0]);
    Files.writeString(train.resolve("class-5/notes.png"), "not an image\n");
    Files.write(train.resolve("stray.png"), png);
    Files.writeString(train.resolve(".DS_Store"), "hidden files are not read");
  }

  private String[] settings(Path output, String... more) {
    List<String> all = new java.util.ArrayList<>(List.of(
        "prepare.format=images",
        "prepare.output=" + output,
        "prepare.input.train=" + images.resolve("train"),
        "prepare.input.test=" + images.resolve("test"),
        "prepare.images.height=28",
        "prepare.images.width=28",
        "prepare.validation-fraction=0",
        "prepare.max-rejected-fraction=0.05"));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void decodesPngPixelsExactlyAndRejectsEveryBadFileWithItsPath() {
    Path output = tmp.resolve("examples");

    ExamplesManifest manifest = new PrepareJob(config(settings(output))).run(spark);

    List<Row> rows = spark.read().parquet(output.toString())
        .filter("split = 'train'").select("id", "features", "label").collectAsList();
    assertThat(rows).hasSize(300);
    int jpegs = 0;
    for (Row row : rows) {
      ImageFolders.Written written = writtenById.get(row.getString(0));
      assertThat(written).as(row.getString(0)).isNotNull();
      assertThat(row.getInt(2)).isEqualTo(written.label());
      float[] expected = pixels(written);
      float[] actual = floats(row.getList(1));
      if (written.file().toString().endsWith(".png")) {
        assertThat(actual).as(row.getString(0)).containsExactly(expected);
      } else {
        jpegs++;
        double meanAbs = IntStream.range(0, 784).mapToDouble(i -> Math.abs(actual[i]
            - expected[i])).average().orElseThrow();
        assertThat(meanAbs).as("JPEG is lossy, but close: " + row.getString(0))
            .isLessThan(6.0);
      }
    }
    assertThat(jpegs).isEqualTo(12);
    assertThat(manifest.featureShape()).containsExactly(1, 28, 28);
    assertThat(manifest.classNames()).isEqualTo(FOLDERS);
    assertThat(manifest.rows().bySplit().get("test").total()).isEqualTo(100);
    assertThat(manifest.source().inputFiles()).as("300 + 4 bad training files, 100 test")
        .isEqualTo(404);

    Map<String, String> reasons = new HashMap<>();
    Map<String, String> paths = new HashMap<>();
    for (Row r : rejected(spark, output)) {
      reasons.put(r.getString(0), r.getString(2));
      paths.put(r.getString(0), r.getString(3));
    }
    assertThat(reasons).containsOnlyKeys("train/class-3/truncated.png",
        "train/class-4/empty.png", "train/class-5/notes.png", "train/stray.png");
    assertThat(reasons.get("train/class-3/truncated.png"))
        .startsWith("undecodable_image: PNG image cannot be decoded");
    assertThat(reasons.get("train/class-4/empty.png"))
        .isEqualTo("empty_file: the file has 0 bytes");
    assertThat(reasons.get("train/class-5/notes.png"))
        .startsWith("undecodable_image: no image reader recognizes the file");
    assertThat(reasons.get("train/stray.png"))
        .isEqualTo("unknown_class: the image is not inside a class folder");
    assertThat(paths.get("train/class-4/empty.png")).endsWith("/train/class-4/empty.png");
    assertThat(manifest.rows().rejectedByReason()).containsEntry("undecodable_image", 2L)
        .containsEntry("empty_file", 1L).containsEntry("unknown_class", 1L);
  }

  @Test
  void aRerunOnTheSameFilesIsSkippedAndANewFileMakesTheOutputStale() throws IOException {
    Path output = tmp.resolve("rerun");
    Path train = tmp.resolve("few");
    ImageFolders.write(SLICE.resolve("train-images-idx3-ubyte.gz"),
        SLICE.resolve("train-labels-idx1-ubyte.gz"), train, FOLDERS, 40, i -> false);
    String[] settings = {"prepare.format=images", "prepare.output=" + output,
        "prepare.input.train=" + train, "prepare.images.height=28", "prepare.images.width=28",
        "prepare.validation-fraction=0"};
    ExamplesManifest first = new PrepareJob(config(settings)).run(spark);

    ExamplesManifest again = new PrepareJob(config(settings)).run(spark);
    Files.copy(train.resolve("class-0").resolve(Files.list(train.resolve("class-0"))
        .findFirst().orElseThrow().getFileName()), train.resolve("class-0/copy.png"));

    assertThat(again.finishedAt()).isEqualTo(first.finishedAt());
    assertThatThrownBy(() -> new PrepareJob(config(settings)).run(spark))
        .isInstanceOf(DistillException.class).hasMessageContaining("--mode overwrite");
  }

  /**
   * RGB from grey and colour files of other sizes, resized with a center crop; channel-standard
   * scaling leaves every channel of the labeled training rows with mean 0 and deviation 1.
   */
  @Test
  void resizesColourImagesAndNormalizesEachChannel() throws IOException {
    Path root = tmp.resolve("colour");
    java.util.Random random = new java.util.Random(9);
    for (int i = 0; i < 24; i++) {
      String cls = i % 2 == 0 ? "cats" : "dogs";
      Files.createDirectories(root.resolve(cls));
      BufferedImage image = new BufferedImage(20 + i, 14 + (i % 5),
          BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < image.getHeight(); y++) {
        for (int x = 0; x < image.getWidth(); x++) {
          int red = 100 + random.nextInt(100);
          int green = random.nextInt(60);
          int blue = 200 + random.nextInt(56);
          image.setRGB(x, y, (red << 16) | (green << 8) | blue);
        }
      }
      ImageIO.write(image, "png", root.resolve(cls).resolve(i + ".png").toFile());
    }
    Path output = tmp.resolve("colour-examples");

    ExamplesManifest manifest = new PrepareJob(config("prepare.format=images",
        "prepare.output=" + output, "prepare.input.train=" + root, "prepare.images.height=8",
        "prepare.images.width=12", "prepare.images.channels=rgb",
        "prepare.images.fit=center-crop", "prepare.scaling.kind=channel-standard",
        "prepare.validation-fraction=0")).run(spark);

    assertThat(manifest.featureShape()).containsExactly(3, 8, 12);
    assertThat(manifest.classNames()).containsExactly("cats", "dogs");
    assertThat(manifest.scaling().kind()).isEqualTo(FeatureScaling.Kind.CHANNEL_STANDARD);
    assertThat(manifest.scaling().offsets()).hasSize(3);
    assertThat(manifest.scaling().offset(0)).isBetween(140.0, 160.0);
    assertThat(manifest.scaling().offset(2 * 96)).isBetween(218.0, 238.0);
    List<float[]> rows = spark.read().parquet(output.toString()).select("features")
        .collectAsList().stream().map(r -> floats(r.getList(0))).toList();
    assertThat(rows).hasSize(24);
    for (int c = 0; c < 3; c++) {
      final int from = c * 96;
      double[] values = rows.stream().flatMapToDouble(r -> IntStream.range(from, from + 96)
          .mapToDouble(i -> r[i])).toArray();
      double mean = Arrays.stream(values).average().orElseThrow();
      double std = Math.sqrt(Arrays.stream(values).map(v -> (v - mean) * (v - mean))
          .average().orElseThrow());
      assertThat(mean).as("channel " + c + " mean").isCloseTo(0.0,
          org.assertj.core.data.Offset.offset(1e-4));
      assertThat(std).as("channel " + c + " deviation").isCloseTo(1.0,
          org.assertj.core.data.Offset.offset(1e-4));
    }
  }

  /**
   * A listing of paths (relative to it, and absolute) and class names, with unlabeled rows, a
   * file that is gone, an unknown class, and two files listed twice, one of them spelled two
   * ways (relative and absolute): all their rows are rejected.
   */
  @Test
  void readsTheFilesAListingNamesWithTheirLabels() throws IOException {
    List<ImageFolders.Written> some = writtenById.values().stream()
        .filter(w -> w.file().toString().endsWith(".png"))
        .sorted(java.util.Comparator.comparingInt(ImageFolders.Written::index)).limit(30)
        .toList();
    StringBuilder csv = new StringBuilder("path,label\n");
    for (int i = 0; i < some.size(); i++) {
      ImageFolders.Written w = some.get(i);
      String path = i % 2 == 0 ? "../" + images.relativize(w.file()) : w.file().toString();
      csv.append(path).append(',').append(i < 20 ? "class-" + w.label() : "").append('\n');
    }
    csv.append("../train/class-0/gone.png,class-0\n");
    csv.append("../").append(images.relativize(some.get(0).file())).append(",zebra\n");
    csv.append("../").append(images.relativize(some.get(3).file())).append(",class-")
        .append(some.get(3).label()).append('\n');
    Path listing = images.resolve("lists/train.csv");
    Files.createDirectories(listing.getParent());
    Files.writeString(listing, csv.toString());
    Path output = tmp.resolve("listed");

    ExamplesManifest manifest = new PrepareJob(config("prepare.format=images",
        "prepare.output=" + output, "prepare.input.train=" + listing,
        "prepare.images.layout=listing", "prepare.images.height=28",
        "prepare.images.width=28", "prepare.class-names=[" + String.join(",", FOLDERS) + "]",
        "prepare.validation-fraction=0", "prepare.max-rejected-fraction=0.2")).run(spark);

    assertThat(manifest.rows().labeled()).isEqualTo(18);
    assertThat(manifest.rows().unlabeled()).isEqualTo(10);
    Map<String, String> reasons = new HashMap<>();
    rejected(spark, output).forEach(r -> reasons.merge(r.getString(1), r.getString(0),
        (a, b) -> a + " " + b));
    assertThat(reasons).containsOnlyKeys("missing_file", "unknown_class", "duplicate_id");
    assertThat(reasons.get("missing_file")).as("a listed file's id is its qualified path")
        .isEqualTo("file:" + images.resolve("train/class-0/gone.png"));
    List<Row> stored = spark.read().parquet(output.toString())
        .filter("id = 'file:" + some.get(5).file() + "'").select("features", "label")
        .collectAsList();
    assertThat(stored).hasSize(1);
    assertThat(stored.get(0).getInt(1)).isEqualTo(some.get(5).label());
    assertThat(floats(stored.get(0).getList(0))).containsExactly(pixels(some.get(5)));
  }

  /** A written image's pixels as prepare stores them (0-255, no scaling). */
  public static float[] pixels(ImageFolders.Written written) {
    float[] out = new float[written.pixels().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = written.pixels()[i] & 0xff;
    }
    return out;
  }

  public static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
