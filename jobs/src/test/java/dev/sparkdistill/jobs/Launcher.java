package dev.sparkdistill.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.targets.ScoringSplits;
import dev.sparkdistill.jobs.io.OutputDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * submit/distill as a user runs it, on the embedded Spark, as a separate process: stdout and
 * stderr go to files in a working folder.
 */
public final class Launcher {
  public static final Path PROJECT = Path.of(System.getProperty("distill.project.dir", ".."))
      .toAbsolutePath().normalize();

  private Launcher() {}

  public record Result(int exitCode, String stdout, String stderr) {
    public String lastErrLine() {
      List<String> lines = stderr.lines().toList();
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
  }

  /** Starts the launcher in {@code dir}; {@code env} adds to its environment. */
  public static Process start(Path dir, Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(PROJECT.resolve("submit/distill").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(dir.resolve("stdout.txt").toFile())
        .redirectError(dir.resolve("stderr.txt").toFile());
    builder.environment().put("DISTILL_SPARK", "embedded");
    builder.environment().put("DISTILL_DRIVER_MEMORY", "2g");
    builder.environment().putAll(env);
    return builder.start();
  }

  /** Waits for a started launcher (at most 5 minutes) and reads what it wrote. */
  public static Result finish(Process process, Path dir)
      throws IOException, InterruptedException {
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("distill did not finish in 5 minutes");
    }
    return new Result(process.exitValue(),
        Files.readString(dir.resolve("stdout.txt"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8));
  }

  public static Result run(Path dir, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    return finish(start(dir, env, args), dir);
  }

  /** Distinct ids of a table the launcher wrote, counted by a Spark of this test JVM. */
  public static long distinctIds(Path table) {
    SparkSession spark = SparkTestBase.localSpark("check");
    try {
      return spark.read().parquet(table.toString()).select("id").distinct().count();
    } finally {
      spark.stop();
    }
  }

  /**
   * An examples table {@code copies} times over, each copy's ids suffixed, written as a complete
   * table with the original's shape (its manifest less the row counts) and prepare's row-group
   * size, so that it reads as the original does.
   */
  public static void copies(Path examples, int copies, Path output) throws IOException {
    SparkSession spark = SparkTestBase.localSpark("check");
    try {
      Dataset<Row> base = spark.read().parquet(examples.toString());
      Dataset<Row> all = base.withColumn("id", concat(col("id"), lit("#0")));
      for (int copy = 1; copy < copies; copy++) {
        all = all.unionByName(base.withColumn("id", concat(col("id"), lit("#" + copy))));
      }
      all.write().option("parquet.block.size", ScoringSplits.ROW_GROUP_BYTES)
          .partitionBy("split").parquet(output.toString());
    } finally {
      spark.stop();
    }
    TableShape shape = ManifestJson.read(Files.readString(examples.resolve(
        OutputDirectory.MANIFEST)), TableShape.class, examples.toString());
    Files.writeString(output.resolve(OutputDirectory.MANIFEST), ManifestJson.write(shape));
  }
}
