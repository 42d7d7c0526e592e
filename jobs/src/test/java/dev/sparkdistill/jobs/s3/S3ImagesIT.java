package dev.sparkdistill.jobs.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.jobs.Launcher;
import dev.sparkdistill.jobs.bench.ImageFolders;
import dev.sparkdistill.jobs.prepare.PrepareImagesTest;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare reads a tree of image files from s3a:// (s3proxy on 127.0.0.1): class folders from a
 * prefix listing, the bytes through Spark's binaryFile source, and empty and damaged objects
 * rejected by key.
 */
class S3ImagesIT {
  @RegisterExtension
  static final S3Server S3 = new S3Server();

  private static final Path SLICE = Launcher.PROJECT.resolve(
      "jobs/src/test/resources/fashion-mnist-slice");
  private static final List<String> FOLDERS = IntStream.range(0, 10)
      .mapToObj(i -> "class-" + i).toList();

  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startSpark() {
    SparkSession.Builder builder = SparkSession.builder().master("local[2]")
        .appName("s3 images").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.hadoop.fs.s3a.access.key", S3.accessKey())
        .config("spark.hadoop.fs.s3a.secret.key", S3.secretKey());
    List<String> options = S3.sparkOptions();
    for (int i = 1; i < options.size(); i += 2) {
      String[] setting = options.get(i).split("=", 2);
      builder.config(setting[0], setting[1]);
    }
    spark = builder.getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @Test
  void decodesAClassFolderTreeOnS3ExactlyAndRejectsBadObjectsByKey() throws Exception {
    Path local = tmp.resolve("images");
    List<ImageFolders.Written> written = ImageFolders.write(
        SLICE.resolve("train-images-idx3-ubyte.gz"), SLICE.resolve("train-labels-idx1-ubyte.gz"),
        local, FOLDERS, 60, i -> false);
    S3.client().createBucket("images");
    Map<String, ImageFolders.Written> byId = new HashMap<>();
    for (ImageFolders.Written w : written) {
      String key = "photos/" + local.relativize(w.file());
      S3.client().putObject("images", key, w.file().toFile());
      byId.put("train/" + local.relativize(w.file()), w);
    }
    byte[] png = Files.readAllBytes(written.get(0).file());
    Path truncated = tmp.resolve("truncated.png");
    Files.write(truncated, Arrays.copyOf(png, png.length / 2));
    S3.client().putObject("images", "photos/class-2/truncated.png", truncated.toFile());
    S3.client().putObject("images", "photos/class-7/empty.png", "");
    Path output = tmp.resolve("examples");

    ExamplesManifest manifest = new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(
        Optional.empty(), "", List.of("prepare.format=images",
            "prepare.input.train=s3a://images/photos", "prepare.output=" + output,
            "prepare.images.height=28", "prepare.images.width=28",
            "prepare.validation-fraction=0", "prepare.max-rejected-fraction=0.1")))).run(spark);

    assertThat(manifest.classNames()).isEqualTo(FOLDERS);
    assertThat(manifest.source().inputFiles()).isEqualTo(62);
    assertThat(manifest.rows().rejectedByReason())
        .containsExactlyInAnyOrderEntriesOf(Map.of("undecodable_image", 1L, "empty_file", 1L));
    List<Row> rows = spark.read().parquet(output.toString()).select("id", "features", "label")
        .collectAsList();
    assertThat(rows).hasSize(60);
    for (Row row : rows) {
      ImageFolders.Written w = byId.get(row.getString(0));
      assertThat(w).as(row.getString(0)).isNotNull();
      assertThat(row.getInt(2)).isEqualTo(w.label());
      assertThat(PrepareImagesTest.floats(row.getList(1))).as(row.getString(0))
          .containsExactly(PrepareImagesTest.pixels(w));
    }
    List<Row> rejected = spark.read().parquet(output.resolve("_rejected").toString())
        .orderBy("id").select("id", "raw").collectAsList();
    assertThat(rejected).extracting(r -> r.getString(0))
        .containsExactly("train/class-2/truncated.png", "train/class-7/empty.png");
    assertThat(rejected.get(1).getString(1)).isEqualTo("s3a://images/photos/class-7/empty.png");
  }
}
