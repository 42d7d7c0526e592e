package dev.sparkdistill.jobs.cli;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.evaluate.EvaluateJob;
import dev.sparkdistill.jobs.train.TrainJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduled pipeline of conf/fashion-mnist-daily.conf, run as a scheduler would with each
 * day's logical date: three days of Fashion-MNIST arrivals (one with bad rows), the third day
 * run before the second (a backfill), then the second day again (a retry).
 */
class DailyPipelineTest extends SparkTestBase {
  private static final List<String> DAYS = List.of("2026-11-28", "2026-11-29", "2026-11-30");

  @TempDir
  static Path work;

  private static Path teacher;

  @BeforeAll
  static void arrivalsAndTeacher() {
    writeArrivals(work.resolve("incoming"), DAYS);
    Path whole = prepareSlice(work.resolve("whole"), false);
    Path out = work.resolve("teacher");
    new TrainJob(TrainConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "train.input=" + whole, "train.output=" + out, "train.alpha=0", "train.epochs=8",
        "train.model.hidden=[64]", "train.spark.batch-size-per-worker=16",
        "train.updater.learning-rate=0.003")))).run(spark);
    teacher = out.resolve("model.zip");
  }

  /** The daily pipeline of conf/fashion-mnist-daily.conf, on this test's folders. */
  private static Path pipelineConfig() throws IOException {
    Path conf = work.resolve("daily.conf");
    String data = work.toString();
    Files.writeString(conf, """
        run.steps = [
          { job = prepare, set {
              prepare.batch = ${batch}
              prepare.format = parquet
              prepare.input.train = "%1$s/incoming/"${batch}"/train"
              prepare.input.test = "%1$s/incoming/"${batch}"/test"
              prepare.parquet { features-column = pixels, id-column = id }
              prepare.feature-shape = [1, 28, 28]
              prepare.class-count = 10
              prepare.scaling { kind = linear, multiply = 0.00392156862745098 }
              prepare.max-rejected-fraction = 0.05
              prepare.output = "%1$s/examples" } }
          { job = infer, set {
              infer.input = "%1$s/examples", infer.output = "%1$s/targets"
              infer.teachers = ["%2$s"], infer.batch-column = batch } }
          { job = train, set {
              train.input = "%1$s/targets", train.output = "%1$s/student"
              train.alpha = 0.5, train.temperature = 2, train.epochs = 8
              train.model.hidden = [32], train.spark.batch-size-per-worker = 16
              train.updater.learning-rate = 0.003
              train.batch-column = batch, train.warm-start = true } }
          { job = evaluate, set {
              evaluate.input = "%1$s/examples", evaluate.output = "%1$s/report"
              evaluate.teacher = "%2$s", evaluate.models = ["distilled=%1$s/student/model.zip"]
              evaluate.batch-column = batch } }
        ]
        """.formatted(data, teacher));
    return conf;
  }

  private static void runDay(Path conf, String day) {
    StringWriter err = new StringWriter();
    int exit = DistillCli.execute(new PrintWriter(new StringWriter(), true),
        new PrintWriter(err, true), "run", "--config", conf.toString(), "--set", "batch=" + day);
    assertThat(exit).as("day %s: %s", day, err).isZero();
  }

  private static <T> T manifest(String table, Class<T> type) throws IOException {
    Path file = work.resolve(table).resolve("_manifest.json");
    return ManifestJson.read(Files.readString(file), type, file.toString());
  }

  private static Map<String, Long> rowsPerBatch(String table) {
    return spark.read().parquet(work.resolve(table).toString())
        .groupBy(col("batch").cast("string")).count().collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));
  }

  private static double accuracy(Path model, String name) {
    EvaluationReport report = new EvaluateJob(EvaluateConfig.from(ConfigLayers.resolve(
        Optional.empty(), "", List.of("evaluate.input=" + work.resolve("examples"),
            "evaluate.output=" + work.resolve("report-" + name),
            "evaluate.models=[\"" + name + "=" + model + "\"]"))))
        .evaluate(spark);
    return report.models().get(0).accuracy();
  }

  @Test
  void eachDayIsPreparedAndScoredOnceAndARerunChangesNothing() throws IOException {
    Path conf = pipelineConfig();
    runDay(conf, DAYS.get(0));
    Path firstStudent = work.resolve("student-after-day-1.zip");
    Files.copy(work.resolve("student/model.zip"), firstStudent,
        StandardCopyOption.REPLACE_EXISTING);
    runDay(conf, DAYS.get(2)); // the scheduler was down on the 29th
    runDay(conf, DAYS.get(1)); // the backfill

    ExamplesManifest examples = manifest("examples", ExamplesManifest.class);
    TargetsManifest targets = manifest("targets", TargetsManifest.class);
    assertThat(examples.batchNames()).containsExactly(DAYS.get(0), DAYS.get(2), DAYS.get(1));
    assertThat(targets.batches()).containsExactlyInAnyOrderElementsOf(DAYS);
    assertThat(examples.rows().written()).isEqualTo(400);
    assertThat(examples.rows().rejected()).isEqualTo(3);
    assertThat(examples.batch(DAYS.get(1)).orElseThrow().rows().rejected()).isEqualTo(3);
    // Every row prepared once and scored once, batch by batch.
    Dataset<Row> scored = spark.read().parquet(work.resolve("targets").toString());
    assertThat(scored.count()).isEqualTo(400);
    assertThat(scored.select("id").distinct().count()).isEqualTo(400);
    Map<String, Long> preparedPerBatch = rowsPerBatch("examples");
    assertThat(rowsPerBatch("targets")).isEqualTo(preparedPerBatch);
    examples.batches().forEach(b ->
        assertThat(preparedPerBatch.get(b.name())).isEqualTo(b.rows().written()));
    // The student went on from the day before's: warm starts on the new batch and a replay.
    ModelManifest student = manifest("student", ModelManifest.class);
    assertThat(student.batches()).containsExactlyElementsOf(DAYS);
    assertThat(student.warmStartedFrom()).containsExactly(DAYS.get(0), DAYS.get(2));

    // The report shows each day's test rows on their own.
    Path reportFile = work.resolve("report/report.json");
    EvaluationReport report = ManifestJson.read(Files.readString(reportFile),
        EvaluationReport.class, reportFile.toString());
    assertThat(report.batches()).extracting(EvaluationReport.BatchReport::batch)
        .containsExactlyElementsOf(DAYS);
    assertThat(report.batches()).allSatisfy(b -> assertThat(b.rows())
        .isEqualTo(examples.batch(b.batch()).orElseThrow().rows().bySplit().get("test")
            .labeled()));
    for (EvaluationReport.ModelReport model : report.models()) {
      double weighted = report.batches().stream()
          .mapToDouble(b -> b.rows() * b.accuracy().get(model.name())).sum() / report.rows();
      assertThat(weighted).isCloseTo(model.accuracy(), within(1e-9));
    }
    assertThat(report.batches().get(0).teacherAgreement().get("teacher")).isEqualTo(1.0);

    // A retry of any day changes nothing.
    String examplesManifest = Files.readString(work.resolve("examples/_manifest.json"));
    String targetsManifest = Files.readString(work.resolve("targets/_manifest.json"));
    long studentWritten = Files.getLastModifiedTime(work.resolve("student/model.zip"))
        .toMillis();
    runDay(conf, DAYS.get(1));
    runDay(conf, DAYS.get(0));
    assertThat(Files.readString(work.resolve("examples/_manifest.json")))
        .isEqualTo(examplesManifest);
    assertThat(Files.readString(work.resolve("targets/_manifest.json")))
        .isEqualTo(targetsManifest);
    assertThat(Files.getLastModifiedTime(work.resolve("student/model.zip")).toMillis())
        .isEqualTo(studentWritten);

    // Three days of rows teach the student at least as well as the first day's.
    double afterDay1 = accuracy(firstStudent, "day1");
    double afterDay3 = accuracy(work.resolve("student/model.zip"), "day3");
    assertThat(afterDay3).as("test accuracy after day 3 against day 1 (%s)", afterDay1)
        .isGreaterThanOrEqualTo(afterDay1);
    assertThat(afterDay1).as("10 classes: chance is 0.1").isGreaterThan(0.3);
  }
}
