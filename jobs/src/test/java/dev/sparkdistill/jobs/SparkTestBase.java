package dev.sparkdistill.jobs;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One local SparkSession per test class: two task threads, UI off, loopback only, few shuffle
 * partitions. Jobs under test call getOrCreate() and so run on this session.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = localSpark("spark-distill tests");
  }

  /**
   * The local session every test uses, for classes that cannot extend this one (jqwik
   * containers, helpers): two task threads, UI off, loopback only, few shuffle partitions.
   */
  public static SparkSession localSpark(String appName) {
    return SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }

  /**
   * The Fashion-MNIST slice (300 train, 100 test images) prepared into an examples table at
   * {@code output}, pixels scaled to [0, 1]; {@code settings} add or override prepare keys.
   */
  protected static Path prepareSlice(Path output, boolean withTestSplit, String... settings) {
    Path slice = resource("fashion-mnist-slice");
    List<String> all = new ArrayList<>(List.of("prepare.format=idx", "prepare.output=" + output,
        "prepare.input.train=" + slice.resolve("train-images-idx3-ubyte.gz"),
        "prepare.idx.train-labels=" + slice.resolve("train-labels-idx1-ubyte.gz"),
        "prepare.scaling.kind=linear", "prepare.scaling.multiply=0.00392156862745098"));
    if (withTestSplit) {
      all.addAll(List.of("prepare.input.test=" + slice.resolve("t10k-images-idx3-ubyte.gz"),
          "prepare.idx.test-labels=" + slice.resolve("t10k-labels-idx1-ubyte.gz")));
    }
    all.addAll(List.of(settings));
    new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", all)))
        .run(spark);
    return output;
  }

  /** A test resource as a local path. */
  protected static Path resource(String name) {
    try {
      return Path.of(SparkTestBase.class.getClassLoader().getResource(name).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  protected static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
