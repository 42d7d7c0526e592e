package dev.sparkdistill.jobs.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.SweepConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.evaluate.SweepReport;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.infer.InferJob;
import dev.sparkdistill.jobs.model.OnnxExport;
import dev.sparkdistill.jobs.train.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep on the Fashion-MNIST slice, from targets scored once by a small teacher. */
class SweepJobTest extends SparkTestBase {

  @TempDir
  static Path shared;

  private static Path targets;
  private static Path teacher;

  @BeforeAll
  static void scoreOnce() {
    Path examples = shared.resolve("examples");
    prepareSlice(examples, true, "prepare.validation-fraction=0.3");
    teacher = shared.resolve("teacher");
    new TrainJob(TrainConfig.from(resolve("train.input=" + examples, "train.output=" + teacher,
        "train.alpha=0", "train.epochs=3", "train.model.hidden=[32]",
        "train.spark.batch-size-per-worker=16", "train.updater.learning-rate=0.003")))
        .run(spark);
    targets = shared.resolve("targets");
    new InferJob(InferConfig.from(resolve("infer.input=" + examples,
        "infer.output=" + targets, "infer.teachers=[\"" + teacher.resolve("model.zip") + "\"]")))
        .run(spark);
  }

  private static com.typesafe.config.Config resolve(String... settings) {
    return ConfigLayers.resolve(Optional.empty(), "", List.of(settings));
  }

  private static SweepConfig sweep(Path output, String temperatures) {
    return SweepConfig.from(resolve("train.input=" + targets, "train.epochs=6",
        "train.model.hidden=[16]", "train.spark.batch-size-per-worker=16",
        "train.updater.learning-rate=0.01", "sweep.output=" + output,
        "sweep.temperatures=" + temperatures, "sweep.alphas=[0, 0.7]"));
  }

  @Test
  void trainsEveryPointFromTheSameTargetsAndComparesThemOnValidation() {
    Path output = shared.resolve("grid");
    SweepReport report = new SweepJob(sweep(output, "[1, 4]")).run(spark);

    assertThat(report.entries()).extracting(SweepReport.Entry::name)
        .containsExactly("baseline", "T1-a0.7", "T4-a0.7");
    assertThat(report.split()).isEqualTo("validation");
    assertThat(report.rows()).isEqualTo(spark.read().parquet(targets.toString())
        .filter("split = 'validation'").count());
    for (SweepReport.Entry entry : report.entries()) {
      assertThat(output.resolve(entry.name()).resolve("_SUCCESS")).exists();
      // 10 classes: better than chance after six epochs, agreement with the targets' teacher
      assertThat(entry.accuracy()).isGreaterThan(0.2);
      assertAgreement(entry, output, targets, report.rows());
      // its training curves come from the log its train run wrote
      assertThat(entry.training().epochs()).hasSize(read(output.resolve(entry.name())
          .resolve("training-log.json")).split("\"epoch\"", -1).length - 1);
    }
    assertThat(report.entries()).extracting(SweepReport.Entry::name).contains(report.best());
    // best is the most accurate student, and the printed table marks it
    double top = report.entries().stream().mapToDouble(SweepReport.Entry::accuracy).max()
        .orElseThrow();
    assertThat(report.entries()).filteredOn(e -> e.name().equals(report.best()))
        .extracting(SweepReport.Entry::accuracy).containsExactly(top);
    assertThat(report.table()).contains("* " + report.best());
    assertThat(read(output.resolve("sweep.json"))).contains("\"best\"", "T4-a0.7");
    String html = read(output.resolve("sweep.html"));
    assertThat(html).contains("<table id=\"sweep\">", "T=4", "id=\"training\"");
    // three training metrics, a line for each of the three students
    assertThat(html.split("class=\"series\"", -1)).hasSize(3 * 3 + 1);
    assertThat(read(shared.resolve("grid").resolve("report").resolve("report.json")))
        .contains(teacher.resolve("model.zip").toString());
  }

  @Test
  void wideningTheGridTrainsOnlyTheNewPoints() throws Exception {
    Path output = shared.resolve("widened");
    new SweepJob(sweep(output, "[2]")).run(spark);
    List<FileTime> before = modelTimes(output, "baseline", "T2-a0.7");

    SweepReport wider = new SweepJob(sweep(output, "[2, 8]")).run(spark);

    assertThat(modelTimes(output, "baseline", "T2-a0.7")).isEqualTo(before);
    assertThat(output.resolve("T8-a0.7").resolve("model.zip")).exists();
    assertThat(wider.entries()).hasSize(3);
  }

  private static List<FileTime> modelTimes(Path output, String... names) throws Exception {
    List<FileTime> times = new ArrayList<>();
    for (String name : names) {
      times.add(Files.getLastModifiedTime(output.resolve(name).resolve("model.zip")));
    }
    return times;
  }

  @Test
  void aSweepOverAnOnnxTeachersTargetsMeasuresAgreementWithIt() {
    // evaluate scores the ONNX teacher through ONNX Runtime, like infer does.
    Path onnx = shared.resolve("teacher.onnx");
    new OnnxExport(new OnnxExport.Options(teacher.resolve("model.zip").toString(), Optional.empty(),
        onnx.toString(), false)).run(spark.sparkContext().hadoopConfiguration());
    Path onnxTargets = shared.resolve("targets-onnx");
    new InferJob(InferConfig.from(resolve("infer.input=" + shared.resolve("examples"),
        "infer.output=" + onnxTargets, "infer.teachers=[\"" + onnx + "\"]"))).run(spark);
    Path output = shared.resolve("grid-onnx");

    SweepReport report = new SweepJob(SweepConfig.from(resolve("train.input=" + onnxTargets,
        "train.epochs=2", "train.model.hidden=[16]", "train.spark.batch-size-per-worker=16",
        "sweep.output=" + output, "sweep.temperatures=[2]", "sweep.alphas=[0.7]"))).run(spark);

    assertThat(report.entries()).extracting(SweepReport.Entry::name).containsExactly("T2-a0.7");
    assertAgreement(report.entries().get(0), output, onnxTargets, report.rows());
    assertThat(output.resolve(SweepJob.SWEEP_JSON)).exists();
  }

  /**
   * The entry's agreement is the share of validation rows where its model's top class is the
   * top class of the targets' teacher logits; the sweep scores with ONNX Runtime, within 1e-4 of
   * the DL4J outputs computed here, so a near tie may flip one row.
   */
  private static void assertAgreement(SweepReport.Entry entry, Path grid, Path targetsTable,
      long rows) {
    // A targets-only table, as infer writes by default: the features are its examples'.
    String examples;
    try {
      examples = dev.sparkdistill.common.manifest.ManifestJson.read(Files.readString(targetsTable
          .resolve("_manifest.json")), dev.sparkdistill.common.manifest.TargetsManifest.class,
          "_manifest.json").examples();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<org.apache.spark.sql.Row> validation = spark.read().parquet(targetsTable.toString())
        .filter("split = 'validation'")
        .join(spark.read().parquet(examples).select("id", "features"), "id")
        .select("features", "teacher_logits").collectAsList();
    float[][] x = new float[validation.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = dev.sparkdistill.jobs.io.ArrayColumns.floats(validation.get(i).getList(0));
    }
    float[][] scores;
    try {
      scores = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
              grid.resolve(entry.name()).resolve("model.zip").toFile())
          .output(org.nd4j.linalg.factory.Nd4j.create(x), false).toFloatMatrix();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    int agreeing = 0;
    for (int i = 0; i < x.length; i++) {
      float[] teacher = dev.sparkdistill.jobs.io.ArrayColumns.floats(
          validation.get(i).getList(1));
      agreeing += Ensemble.argmax(Ensemble.softmax(scores[i]))
          == Ensemble.argmax(Ensemble.softmax(teacher)) ? 1 : 0;
    }
    assertThat(entry.teacherAgreement()).as("agreement of %s", entry.name()).isNotNull()
        .isCloseTo((double) agreeing / x.length,
            org.assertj.core.api.Assertions.within(1.0 / rows + 1e-9));
  }
}
