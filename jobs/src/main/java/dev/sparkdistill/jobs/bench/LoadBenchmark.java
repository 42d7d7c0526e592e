package dev.sparkdistill.jobs.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.jobs.infer.InferJob;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.train.TrainJob;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * How cost grows with rows: the examples table copied 1x, 4x, 10x ... (ids made unique), then at
 * each size the infer job and one training epoch of a student on its targets, each timed, with
 * the driver JVM's peak heap during the stage and its heap after a GC at the end. Cost should grow
 * linearly in rows; the retained driver heap should stay flat (nothing is collected to it). In
 * local mode the tasks and the block manager run in the driver JVM, so both heap figures include
 * their working memory and cached minibatches; run it on separate executor JVMs (e.g. master
 * local-cluster) to see the driver's own.
 */
public final class LoadBenchmark {
  private final InferConfig infer;
  private final String work;
  private final PrintWriter out;

  public LoadBenchmark(InferConfig infer, String work, PrintWriter out) {
    this.infer = infer;
    this.work = work;
    this.out = out;
  }

  public void run(SparkSession spark, int[] scales, List<String> studentSettings) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    TableShape shape = Benchmarks.shape(infer.input(), conf);
    long baseRows = spark.read().parquet(infer.input()).count();
    out.printf(Locale.ROOT, "%d rows in %s, master %s, driver max heap %d MB%n", baseRows,
        infer.input(), spark.sparkContext().master(), Runtime.getRuntime().maxMemory() >> 20);
    out.printf(Locale.ROOT, "%6s %10s %10s %12s %14s %10s %12s %14s%n", "scale", "rows",
        "infer s", "infer rows/s", "infer heap MB", "epoch s", "epoch rows/s", "epoch heap MB");
    List<double[]> results = new ArrayList<>();
    for (int scale : scales) {
      String examples = copies(spark, shape, scale);
      String targets = work + "/targets-" + scale + "x";
      Benchmarks.Stage scoring = Benchmarks.Stage.time(
          () -> new InferJob(with(infer, examples, targets)).run(spark));
      Benchmarks.Stage epoch = Benchmarks.Stage.time(
          () -> new TrainJob(student(targets, studentSettings)).run(spark));
      long rows = baseRows * scale;
      out.printf(Locale.ROOT, "%6s %10d %10.1f %12.0f %7d/%-6d %10.1f %12.0f %7d/%-6d%n",
          scale + "x", rows, scoring.seconds(), rows / scoring.seconds(), scoring.peakMb(),
          scoring.retainedMb(), epoch.seconds(), rows / epoch.seconds(), epoch.peakMb(),
          epoch.retainedMb());
      out.flush();
      results.add(new double[] {scale, scoring.seconds(), epoch.seconds()});
    }
    double[] first = results.get(0);
    double[] last = results.get(results.size() - 1);
    double growth = last[0] / first[0];
    out.printf(Locale.ROOT, "%.0fx the rows: infer took %.1fx the time, the epoch %.1fx "
        + "(linear = %.0fx); heap columns are peak/retained after GC%n", growth,
        last[1] / first[1], last[2] / first[2], growth);
    out.flush();
  }

  /** The examples table {@code scale} times over, each copy's ids suffixed, as a complete table. */
  private String copies(SparkSession spark, TableShape shape, int scale) {
    String table = work + "/examples-" + scale + "x";
    Dataset<Row> base = spark.read().parquet(infer.input());
    Dataset<Row> all = null;
    for (int copy = 0; copy < scale; copy++) {
      Dataset<Row> one = base.withColumn("id", concat(col("id"), lit("#" + copy)));
      all = all == null ? one : all.unionByName(one);
    }
    all.write().mode("overwrite").partitionBy("split").parquet(table);
    new OutputDirectory(table, spark.sparkContext().hadoopConfiguration()).markComplete(
        new TableShape("examples", shape.featureShape(), shape.featureCount(), shape.classCount(),
            shape.classNames()));
    return table;
  }

  private static InferConfig with(InferConfig base, String input, String output) {
    return InferConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "infer.input=" + input, "infer.output=" + output, "infer.mode=overwrite",
        "infer.batch-size=" + base.batchSize(),
        "infer.teachers=" + base.teachers().stream().map(t -> "\"" + t + "\"").toList())));
  }

  private TrainConfig student(String targets, List<String> settings) {
    List<String> all = new ArrayList<>(List.of("train.input=" + targets,
        "train.output=" + work + "/student", "train.mode=overwrite", "train.epochs=1",
        "train.model.hidden=[64]"));
    all.addAll(settings);
    return TrainConfig.from(ConfigLayers.resolve(Optional.empty(), "", all));
  }
}
