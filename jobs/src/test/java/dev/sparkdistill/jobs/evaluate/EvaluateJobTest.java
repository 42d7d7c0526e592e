package dev.sparkdistill.jobs.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.config.InvalidConfigException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.jobs.SparkTestBase;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TrainingLogEntry;
import dev.sparkdistill.jobs.train.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluate job on the Fashion-MNIST slice with two small trained models. */
class EvaluateJobTest extends SparkTestBase {

  @TempDir
  static Path shared;

  @TempDir
  Path tmp;

  private static Path examples;
  private static Path big;
  private static Path small;

  @BeforeAll
  static void models() {
    examples = shared.resolve("examples");
    prepareSlice(examples, true);
    big = train("big", "[64]");
    small = train("small", "[8]");
  }

  private static Path train(String name, String hidden) {
    Path out = shared.resolve(name);
    new TrainJob(TrainConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "train.input=" + examples, "train.output=" + out, "train.alpha=0", "train.epochs=3",
        "train.model.hidden=" + hidden, "train.spark.batch-size-per-worker=16",
        "train.updater.learning-rate=0.003")))).run(spark);
    return out.resolve("model.zip");
  }

  private static EvaluateConfig config(String... settings) {
    return EvaluateConfig.from(ConfigLayers.resolve(Optional.empty(), "", Arrays.asList(settings)));
  }

  @Test
  void comparesModelsAgainstTheTeacherAndWritesJsonAndHtml() throws Exception {
    Path output = tmp.resolve("report");
    EvaluationReport report = new EvaluateJob(config("evaluate.input=" + examples,
        "evaluate.output=" + output, "evaluate.teacher=" + big,
        "evaluate.models=[\"small=" + small + "\"]")).evaluate(spark);

    assertThat(report.rows()).isEqualTo(100);
    assertThat(report.models()).extracting(ModelReport::name).containsExactly("teacher", "small");
    ModelReport teacher = report.models().get(0);
    ModelReport student = report.models().get(1);
    assertThat(teacher.teacherAgreement()).isEqualTo(1.0);
    assertThat(teacher.meanKlFromTeacher()).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-6));
    assertThat(teacher.accuracy()).isGreaterThan(0.4);
    // The agreement and KL the models' own DL4J outputs give on the 100 test rows. The job
    // scores with ONNX Runtime, within 1e-4 of these logits: a near tie may flip one row.
    double[] expected = agreementAndKl(big, small);
    assertThat(student.teacherAgreement()).isCloseTo(expected[0],
        org.assertj.core.api.Assertions.within(0.0101));
    assertThat(student.meanKlFromTeacher()).isCloseTo(expected[1],
        org.assertj.core.api.Assertions.within(1e-4)).isGreaterThan(0.0);
    assertThat(student.sizeRatioToTeacher()).isCloseTo(
        (double) student.parameters() / teacher.parameters(),
        org.assertj.core.api.Assertions.within(1e-9));
    assertThat(student.speedupOverTeacher()).isCloseTo(
        student.throughputRowsPerSecond() / teacher.throughputRowsPerSecond(),
        org.assertj.core.api.Assertions.within(1e-9));
    assertThat(Arrays.stream(teacher.confusion()).flatMapToLong(Arrays::stream).sum())
        .isEqualTo(100);
    assertThat(teacher.reliability().length).isEqualTo(15);
    assertThat(teacher.latencyMillis()).isPositive();
    assertThat(teacher.fileBytes()).as("the file as given, not its ONNX export")
        .isEqualTo(Files.size(big));
    assertThat(report.models()).extracting(ModelReport::engine)
        .containsExactly("onnxruntime", "onnxruntime");
    // The training history is the one each model's train run wrote beside it.
    ModelManifest bigManifest = new ObjectMapper().readValue(
        big.resolveSibling("_manifest.json").toFile(), ModelManifest.class);
    TrainingLogEntry[] bigLog = new ObjectMapper().readValue(
        big.resolveSibling("training-log.json").toFile(), TrainingLogEntry[].class);
    assertThat(teacher.training().epochs()).containsExactly(bigLog);
    assertThat(teacher.training().epochs()).hasSize(3);
    assertThat(teacher.training().bestEpoch()).isEqualTo(bigManifest.bestEpoch());
    assertThat(student.training().epochs()).extracting(TrainingLogEntry::validationLoss)
        .doesNotContainNull().isNotEqualTo(teacher.training().epochs().stream()
            .map(TrainingLogEntry::validationLoss).toList());

    String html = Files.readString(output.resolve("report.html"));
    assertThat(html).contains("<th>engine</th>").contains("<td>onnxruntime</td>")
        .contains("<table id=\"summary\">").contains("id=\"accuracy\"")
        .contains("id=\"reliability\"").contains("id=\"training\"")
        .contains("id=\"per-class\"").contains("id=\"confusion\"").contains("<svg")
        .doesNotContain("<script")
        .doesNotContainPattern("(src|href)=\"https?://");
    assertThat(output.resolve("report.json")).exists();
    assertThat(output.resolve("_SUCCESS")).exists();

    EvaluationReport again = new EvaluateJob(config("evaluate.input=" + examples,
        "evaluate.output=" + output, "evaluate.teacher=" + big,
        "evaluate.models=[\"small=" + small + "\"]")).evaluate(spark);
    assertThat(again.createdAt()).isEqualTo(report.createdAt());
  }

  @Test
  void scoresWithNd4jWhenAskedAndGetsTheSameAccuracy() {
    EvaluationReport onnx = new EvaluateJob(config("evaluate.input=" + examples,
        "evaluate.output=" + tmp.resolve("onnx"), "evaluate.models=[\"small=" + small + "\"]"))
        .evaluate(spark);
    EvaluationReport nd4j = new EvaluateJob(config("evaluate.input=" + examples,
        "evaluate.output=" + tmp.resolve("nd4j"), "evaluate.models=[\"small=" + small + "\"]",
        "evaluate.engine=nd4j")).evaluate(spark);

    assertThat(nd4j.models().get(0).engine()).isEqualTo("nd4j");
    assertThat(nd4j.models().get(0).accuracy()).isEqualTo(onnx.models().get(0).accuracy());
    assertThat(nd4j.models().get(0).nll()).isCloseTo(onnx.models().get(0).nll(),
        org.assertj.core.api.Assertions.within(1e-5));
  }

  @Test
  void refusesModelEntriesThatAreNotNameEqualsPath() {
    assertThatThrownBy(() -> config("evaluate.input=x", "evaluate.output=y",
        "evaluate.models=[\"just-a-path.zip\"]"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("evaluate.models must be a list of distinct \"name=path\" entries (name not "
            + "\"teacher\"), got 'just-a-path.zip'");
    assertThatThrownBy(() -> config("evaluate.input=x", "evaluate.output=y"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("evaluate.teacher and evaluate.models are both empty: give at least one model"
            + " to evaluate");
  }

  /** Top-1 agreement with the teacher and mean KL(teacher || model) over the test split. */
  private static double[] agreementAndKl(Path teacherFile, Path modelFile) throws Exception {
    var teacher = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
        teacherFile.toFile());
    var model = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
        modelFile.toFile());
    List<org.apache.spark.sql.Row> rows = spark.read().parquet(examples.toString())
        .filter("split = 'test'").select("features").collectAsList();
    float[][] x = new float[rows.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = dev.sparkdistill.jobs.io.ArrayColumns.floats(rows.get(i).getList(0));
    }
    float[][] t = teacher.output(org.nd4j.linalg.factory.Nd4j.create(x), false).toFloatMatrix();
    float[][] m = model.output(org.nd4j.linalg.factory.Nd4j.create(x), false).toFloatMatrix();
    double agreeing = 0;
    double kl = 0;
    for (int i = 0; i < x.length; i++) {
      double[] logT = Ensemble.logSoftmax(t[i], 1);
      double[] logM = Ensemble.logSoftmax(m[i], 1);
      agreeing += Ensemble.argmax(logT) == Ensemble.argmax(logM) ? 1 : 0;
      for (int c = 0; c < logT.length; c++) {
        kl += Math.exp(logT[c]) * (logT[c] - logM[c]);
      }
    }
    return new double[] {agreeing / x.length, kl / x.length};
  }
}
