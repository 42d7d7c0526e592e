package dev.sparkdistill.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
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

  /**
   * Three days of arrivals cut from the Fashion-MNIST slice, as Parquet files of (id, pixels,
   * label) under {@code days/<name>/train} and {@code days/<name>/test}: disjoint by a hash of
   * the id, pixels 0 to 255; the second day brings three extra training rows of 5 values.
   *
   * @param names the three days' directory names
   */
  protected static void writeArrivals(Path days, List<String> names) {
    Path raw = prepareSlice(days.resolve("raw"), true, "prepare.scaling.kind=none",
        "prepare.validation-fraction=0");
    Dataset<Row> rows = spark.read().parquet(raw.toString())
        .select(col("id"), col("features").as("pixels"), col("label"), col("split"));
    for (int day = 0; day < names.size(); day++) {
      Dataset<Row> slice = rows.filter(expr("pmod(hash(id), 3) = " + day));
      for (String split : List.of("train", "test")) {
        Dataset<Row> part = slice.filter(col("split").equalTo(split)).drop("split");
        if (day == 1 && split.equals("train")) {
          part = part.union(spark.createDataFrame(List.of(
              RowFactory.create("bad-1", new float[] {1, 2, 3, 4, 5}, 1),
              RowFactory.create("bad-2", new float[] {1, 2, 3, 4, 5}, 2),
              RowFactory.create("bad-3", new float[] {1, 2, 3, 4, 5}, 3)), new StructType()
                  .add("id", DataTypes.StringType)
                  .add("pixels", DataTypes.createArrayType(DataTypes.FloatType))
                  .add("label", DataTypes.IntegerType)));
        }
        part.coalesce(1).write().parquet(days.resolve(names.get(day)).resolve(split).toString());
      }
    }
  }

  /** The files under {@code table} of one batch, with their modification times. */
  protected static Map<Path, FileTime> batchFiles(Path table, String batch) throws IOException {
    try (Stream<Path> walk = Files.walk(table)) {
      return walk.filter(p -> p.toString().contains("batch=" + batch) && Files.isRegularFile(p))
          .collect(Collectors.toMap(p -> p, p -> {
            try {
              return Files.getLastModifiedTime(p);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }));
    }
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
