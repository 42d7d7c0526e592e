package dev.sparkdistill.jobs.bench;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.jobs.model.ShippedModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The same teacher scored by ND4J (its model.zip) and by ONNX Runtime (the same model exported
 * in memory), over the same rows in memory, batches and threads, through the scorers the infer
 * job uses: rows/s of each per round and the ratio ONNX Runtime / ND4J, with the largest logit
 * difference between them, after one untimed warm-up round. A benchmark: it collects one
 * split's features to the driver.
 */
public final class OnnxBenchmark {
  private final InferConfig config;
  private final PrintWriter out;

  public OnnxBenchmark(InferConfig config, PrintWriter out) {
    this.config = config;
    this.out = out;
  }

  public void run(SparkSession spark, String split, int rounds) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    TableShape shape = Benchmarks.shape(config.input(), conf);
    float[][] rows = Benchmarks.features(
        spark.read().parquet(config.input()).filter("split = '" + split + "'"));
    if (rows.length == 0) {
      throw new DistillException("split " + split + " of " + config.input() + " has no rows");
    }
    ShippedModel nd4j = ShippedModel.load(config.teachers().get(0), shape, conf, "teacher");
    ShippedModel ort = nd4j.toOnnx(shape);
    int threads = spark.sparkContext().defaultParallelism();
    out.printf(Locale.ROOT, "%d %s rows x %d features, teacher %s (%d parameters), batch %d, "
        + "%d threads, %s threads per scorer%n", rows.length, split, shape.featureCount(),
        nd4j.path(), nd4j.parameterCount(), config.batchSize(), threads,
        System.getenv().getOrDefault("OMP_NUM_THREADS", "1 (OMP_NUM_THREADS unset)"));
    out.printf(Locale.ROOT, "ONNX Runtime vs ND4J on these rows: max abs diff of logits %.2e%n",
        maxAbsDiff(score(nd4j, rows, 1), score(ort, rows, 1)));
    // One untimed round on all threads first: ND4J's JIT-compiled Java side warms up slower.
    rowsPerSecond(nd4j, rows, threads);
    rowsPerSecond(ort, rows, threads);
    List<Double> ratios = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      double nd4jRate = rowsPerSecond(nd4j, rows, threads);
      double ortRate = rowsPerSecond(ort, rows, threads);
      ratios.add(ortRate / nd4jRate);
      out.printf(Locale.ROOT, "round %d: ND4J %.0f rows/s, ONNX Runtime %.0f rows/s, ratio "
          + "ONNX Runtime / ND4J %.2f%n", round, nd4jRate, ortRate, ortRate / nd4jRate);
      out.flush();
    }
    out.printf(Locale.ROOT, "median ratio ONNX Runtime / ND4J: %.2f over %d rounds%n",
        Benchmarks.median(ratios), rounds);
    out.flush();
  }

  private double rowsPerSecond(ShippedModel model, float[][] rows, int threads) {
    long start = System.nanoTime();
    score(model, rows, threads);
    return rows.length / ((System.nanoTime() - start) / 1e9);
  }

  private float[][] score(ShippedModel model, float[][] rows, int threads) {
    return Benchmarks.scoreInMemory(model, rows, config.batchSize(), threads);
  }

  private static double maxAbsDiff(float[][] a, float[][] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      for (int c = 0; c < a[i].length; c++) {
        max = Math.max(max, Math.abs(a[i][c] - b[i][c]));
      }
    }
    return max;
  }
}
