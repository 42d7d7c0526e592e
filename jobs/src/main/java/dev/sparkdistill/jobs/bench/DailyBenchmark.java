package dev.sparkdistill.jobs.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.jobs.evaluate.EvaluateJob;
import dev.sparkdistill.jobs.infer.InferJob;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import dev.sparkdistill.jobs.train.TrainJob;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Scheduled ETL against rebuilding: an examples table's rows cut into days of arrivals (by a
 * hash of the id), then each day run as conf/fashion-mnist-daily.conf runs it (prepare the day's
 * batch, infer the new batch, warm-start the student on it and a replay of the earlier rows,
 * evaluate) and, at the chosen numbers of days, everything so far rebuilt from its files as
 * whole tables (prepare, infer, a new student on every row, evaluate). Both students are
 * evaluated on the same test rows. Times are in one JVM, each step's own wall time; a scheduler
 * starting a JVM per run adds its start (a few seconds) to both. An untimed run of every step
 * on the first day comes first, so that no timed step is the JVM's first of its kind.
 */
public final class DailyBenchmark {
  private static final LocalDate FIRST_DAY = LocalDate.of(2026, 11, 1);

  private final Config resolved;
  private final String work;
  private final PrintWriter out;

  /**
   * @param resolved the run's configuration: section infer gives the examples table to cut and
   *     the teacher, section train the student
   */
  public DailyBenchmark(Config resolved, String work, PrintWriter out) {
    this.resolved = resolved;
    this.work = work;
    this.out = out;
  }

  /** The configuration checked as the benchmark will use it, before Spark starts. */
  public static Config validated(Config resolved) {
    InferConfig.from(resolved.withValue("infer.output", ConfigValueFactory.fromAnyRef("x")));
    TrainConfig.from(resolved.withValue("train.input", ConfigValueFactory.fromAnyRef("x"))
        .withValue("train.output", ConfigValueFactory.fromAnyRef("y")));
    return resolved;
  }

  /**
   * @param arrivalsOnly write the days' files and stop: the arrivals the daily pipeline of
   *     conf/fashion-mnist-daily.conf reads when {@code work} is its data folder
   */
  public void run(SparkSession spark, int days, int[] rebuildAt, boolean arrivalsOnly) {
    InferConfig source = InferConfig.from(resolved.withValue("infer.output",
        ConfigValueFactory.fromAnyRef(work + "/unused")));
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    TableShape shape = Benchmarks.shape(source.input(), conf);
    scaling = InputTable.complete(source.input(), "infer.input", "examples table",
        "run prepare first", conf).manifest(ExamplesManifest.class).scaling();
    checkWorkFolder(source.input(), arrivalsOnly, conf);
    int written = writeArrivals(spark, source.input(), days, arrivalsOnly);
    if (arrivalsOnly) {
      out.printf(Locale.ROOT, "arrivals for %s ... %s under %s/incoming: %d written, %d there "
          + "already (kept, so that days prepared from them stay as they were)%n", FIRST_DAY,
          FIRST_DAY.plusDays(days - 1), work, written, days - written);
      out.flush();
      return;
    }
    // Untimed: every step once on the first day, so the first timed run is not the JVM's first.
    String warmUp = work + "/warm-up";
    steps(() -> prepare(spark, warmUp + "/examples", shape, work + "/incoming/" + FIRST_DAY, ""),
        () -> new InferJob(InferConfig.from(with("infer", Map.of("input", warmUp + "/examples",
            "output", warmUp + "/targets")))).run(spark),
        () -> new TrainJob(TrainConfig.from(with("train", Map.of("input", warmUp + "/targets",
            "output", warmUp + "/student", "epochs", 1)))).run(spark),
        () -> evaluate(spark, warmUp, "report"));
    out.printf(Locale.ROOT, "%d days of arrivals cut from %s, after an untimed warm-up run; "
        + "master %s%n", days, source.input(), spark.sparkContext().master());
    out.printf(Locale.ROOT, "%5s %7s  %-33s %6s  %-33s %6s %7s %9s %9s%n", "days", "rows",
        "day's run s (prep/infer/train/eval)", "total", "rebuild s (prep/infer/train/eval)",
        "total", "ratio", "acc day", "acc rebuilt");
    for (int day = 1; day <= days; day++) {
      String batch = FIRST_DAY.plusDays(day - 1).toString();
      String daily = work + "/daily";
      double[] dayRun = steps(
          () -> prepare(spark, daily + "/examples", shape, work + "/incoming/" + batch, batch),
          () -> new InferJob(InferConfig.from(with("infer", Map.of("input", daily + "/examples",
              "output", daily + "/targets", "batch-column", "batch")))).run(spark),
          () -> new TrainJob(TrainConfig.from(with("train", Map.of("input", daily + "/targets",
              "output", daily + "/student", "mode", "refresh", "batch-column", "batch",
              "warm-start", true)))).run(spark),
          () -> evaluate(spark, daily, "report-" + batch));
      double dayAccuracy = accuracy(daily + "/report-" + batch, conf);
      final int upTo = day;
      if (Arrays.stream(rebuildAt).noneMatch(n -> n == upTo)) {
        out.printf(Locale.ROOT, "%5d %7d  %-33s %6.1f%n", day, rows(spark, daily),
            split(dayRun), total(dayRun));
        out.flush();
        continue;
      }
      String rebuild = work + "/rebuild-" + day;
      copyDays(spark, day, rebuild + "/incoming");
      double[] rebuilt = steps(
          () -> prepare(spark, rebuild + "/examples", shape, rebuild + "/incoming", ""),
          () -> new InferJob(InferConfig.from(with("infer", Map.of("input",
              rebuild + "/examples", "output", rebuild + "/targets", "mode", "overwrite"))))
              .run(spark),
          () -> new TrainJob(TrainConfig.from(with("train", Map.of("input",
              rebuild + "/targets", "output", rebuild + "/student", "mode", "overwrite"))))
              .run(spark),
          () -> evaluate(spark, rebuild, "report"));
      out.printf(Locale.ROOT, "%5d %7d  %-33s %6.1f  %-33s %6.1f %6.2fx %9.4f %9.4f%n", day,
          rows(spark, daily), split(dayRun), total(dayRun), split(rebuilt), total(rebuilt),
          total(rebuilt) / total(dayRun), dayAccuracy, accuracy(rebuild + "/report", conf));
      out.flush();
    }
  }

  /** The scaling of the table the days are cut from, undone in the files and redone by prepare. */
  private FeatureScaling scaling;

  /**
   * Each day's rows as Parquet files of (id, pixels, label): its train and test inputs. A
   * linear scaling of the table is undone (pixels 0 to 255 again), so that the days are prepared
   * as raw files are.
   */
  /**
   * The benchmark writes only its own folders under {@code work} ({@code incoming}, {@code
   * daily}, {@code warm-up}, {@code rebuild-N}). It refuses a folder that holds its own source,
   * or, unless it only writes arrivals, a daily pipeline's tables: rewritten arrivals would make
   * the days that pipeline prepared look changed.
   */
  private void checkWorkFolder(String source, boolean arrivalsOnly, Configuration conf) {
    Path root = new Path(work);
    FileSystem fs = HadoopFiles.fs(root, conf);
    String qualifiedWork = fs.makeQualified(root).toString() + "/";
    if (HadoopFiles.fs(new Path(source), conf).makeQualified(new Path(source)).toString()
        .startsWith(qualifiedWork)) {
      throw new DistillException("--work " + work + " holds infer.input = " + source
          + "; give the benchmark a folder of its own");
    }
    if (!arrivalsOnly && HadoopFiles.exists(new Path(root, "examples"), conf)) {
      throw new DistillException("--work " + work + " holds a daily pipeline's tables ("
          + new Path(root, "examples") + "); give the benchmark a folder of its own");
    }
    try {
      if (!arrivalsOnly && fs.exists(root)) {
        for (org.apache.hadoop.fs.FileStatus child : fs.listStatus(root)) {
          String name = child.getPath().getName();
          if (List.of("incoming", "daily", "warm-up").contains(name)
              || name.startsWith("rebuild-")) {
            fs.delete(child.getPath(), true);
          }
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot clear the benchmark's folders in " + work,
          e);
    }
  }

  /** @return the days written; with {@code keepExisting}, a day whose folder exists is kept */
  private int writeArrivals(SparkSession spark, String examples, int days,
      boolean keepExisting) {
    Column pixels = scaling.kind() == FeatureScaling.Kind.LINEAR
        ? expr("transform(features, x -> CAST(round((x - " + scaling.add() + "D) / "
            + scaling.multiply() + "D) AS FLOAT))") : col("features");
    Dataset<Row> rows = spark.read().parquet(examples)
        .select(col("id"), pixels.as("pixels"), col("label"), col("split"));
    int written = 0;
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    for (int day = 1; day <= days; day++) {
      Dataset<Row> slice = rows.filter(expr("pmod(hash(id), " + days + ") = " + (day - 1)));
      String dir = work + "/incoming/" + FIRST_DAY.plusDays(day - 1);
      if (keepExisting && HadoopFiles.exists(new Path(dir + "/test/_SUCCESS"), conf)) {
        continue;
      }
      written++;
      slice.filter(col("split").isin("train", "validation")).drop("split")
          .write().mode(SaveMode.Overwrite).parquet(dir + "/train");
      slice.filter(col("split").equalTo("test")).drop("split")
          .write().mode(SaveMode.Overwrite).parquet(dir + "/test");
    }
    return written;
  }

  /** The first {@code days} days' files copied into one folder per split, for a rebuild. */
  private void copyDays(SparkSession spark, int days, String dir) {
    for (String split : List.of("train", "test")) {
      String[] paths = new String[days];
      for (int d = 1; d <= days; d++) {
        paths[d - 1] = work + "/incoming/" + FIRST_DAY.plusDays(d - 1) + "/" + split;
      }
      spark.read().parquet(paths).write().mode(SaveMode.Overwrite).parquet(dir + "/" + split);
    }
  }

  /** prepare of the files under {@code arrivals}: as batch {@code batch}, or whole when "". */
  private void prepare(SparkSession spark, String output, TableShape shape, String arrivals,
      String batch) {
    List<String> settings = new ArrayList<>(List.of("prepare.format=parquet",
        "prepare.output=" + output, "prepare.input.train=" + arrivals + "/train",
        "prepare.input.test=" + arrivals + "/test", "prepare.parquet.features-column=pixels",
        "prepare.parquet.id-column=id", "prepare.max-rejected-fraction=0",
        "prepare.feature-shape=" + shape.featureShape(),
        "prepare.class-count=" + shape.classCount()));
    if (scaling.kind() == FeatureScaling.Kind.LINEAR) {
      settings.addAll(List.of("prepare.scaling.kind=linear",
          "prepare.scaling.multiply=" + scaling.multiply(),
          "prepare.scaling.add=" + scaling.add()));
    }
    settings.add(batch.isEmpty() ? "prepare.mode=overwrite" : "prepare.batch=" + batch);
    new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", settings)))
        .run(spark);
  }

  private void evaluate(SparkSession spark, String dir, String report) {
    new EvaluateJob(EvaluateConfig.from(ConfigLayers.resolve(Optional.empty(), "",
        List.of("evaluate.input=" + dir + "/examples", "evaluate.output=" + dir + "/" + report,
            "evaluate.mode=overwrite",
            "evaluate.models=[\"student=" + dir + "/student/model.zip\"]")))).run(spark);
  }

  /** The student's test accuracy in the report {@link #evaluate} wrote. */
  private static double accuracy(String reportDir, Configuration conf) {
    String file = reportDir + "/" + EvaluateJob.REPORT_JSON;
    return ManifestJson.read(HadoopFiles.readText(file, conf), EvaluationReport.class, file)
        .models().get(0).accuracy();
  }


  private Config with(String section, Map<String, Object> values) {
    Config config = resolved;
    for (Map.Entry<String, Object> value : values.entrySet()) {
      config = config.withValue(section + "." + value.getKey(),
          ConfigValueFactory.fromAnyRef(value.getValue()));
    }
    return config;
  }

  @SafeVarargs
  private static double[] steps(Runnable... steps) {
    double[] seconds = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      long start = System.nanoTime();
      steps[i].run();
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    return seconds;
  }

  private static double total(double[] seconds) {
    return Arrays.stream(seconds).sum();
  }

  private static String split(double[] seconds) {
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f / %.1f", seconds[0], seconds[1],
        seconds[2], seconds[3]);
  }

  private static long rows(SparkSession spark, String daily) {
    return spark.read().parquet(daily + "/examples").count();
  }
}
