package dev.sparkdistill.jobs.prepare;

import static dev.sparkdistill.jobs.prepare.PrepareFixtures.config;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.looksComplete;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.manifest;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.jobs.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare on a 300 + 100 image slice of the real Fashion-MNIST IDX files. */
class PrepareIdxTest extends SparkTestBase {
  private static final Path SLICE = resource("fashion-mnist-slice");

  @TempDir
  Path tmp;

  private String[] sliceSettings(Path output, String... more) {
    List<String> settings = new java.util.ArrayList<>(List.of(
        "prepare.format=idx",
        "prepare.output=" + output,
        "prepare.input.train=" + SLICE.resolve("train-images-idx3-ubyte.gz"),
        "prepare.idx.train-labels=" + SLICE.resolve("train-labels-idx1-ubyte.gz"),
        "prepare.input.test=" + SLICE.resolve("t10k-images-idx3-ubyte.gz"),
        "prepare.idx.test-labels=" + SLICE.resolve("t10k-labels-idx1-ubyte.gz"),
        "prepare.scaling.kind=linear",
        "prepare.scaling.multiply=0.00392156862745098"));
    settings.addAll(List.of(more));
    return settings.toArray(String[]::new);
  }

  private Map<String, Long> countsBySplit(Path output) {
    return spark.read().parquet(output.toString()).groupBy("split").count().collectAsList()
        .stream().collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));
  }

  @Test
  void writesTheExamplesTableWithACarvedValidationSplitAndAManifest() {
    Path output = tmp.resolve("examples");
    ExamplesManifest manifest = new PrepareJob(config(sliceSettings(output))).run(spark);

    Map<String, Long> counts = countsBySplit(output);
    assertThat(counts.get("train") + counts.get("validation")).isEqualTo(300);
    assertThat(counts.get("validation")).isBetween(20L, 40L);
    assertThat(counts.get("test")).isEqualTo(100);
    assertThat(manifest.featureShape()).containsExactly(1, 28, 28);
    assertThat(manifest.featureCount()).isEqualTo(784);
    assertThat(manifest.classCount()).isEqualTo(10);
    assertThat(manifest.rows().input()).isEqualTo(400);
    assertThat(manifest.rows().written()).isEqualTo(400);
    assertThat(manifest.rows().rejected()).isZero();
    assertThat(manifest.rows().bySplit().get("validation").labeled()).isEqualTo(counts.get("validation"));
    assertThat(manifest.splits().validationCarved()).isTrue();
    assertThat(output.resolve("_SUCCESS")).exists();
    assertThat(manifest(output)).isEqualTo(manifest);

    Dataset<Row> table = spark.read().parquet(output.toString());
    assertThat(table.schema().fieldNames()).containsExactly("id", "features", "label", "split");
    assertThat(table.schema().apply("features").dataType().simpleString()).isEqualTo("array<float>");
    assertThat(table.schema().apply("label").dataType().simpleString()).isEqualTo("int");
    assertThat(table.select("id").distinct().count()).isEqualTo(400);
    Row range = table.selectExpr("min(array_min(features))", "max(array_max(features))",
        "min(size(features))", "max(size(features))").head();
    assertThat(range.getFloat(0)).isGreaterThanOrEqualTo(0f);
    assertThat(range.getFloat(1)).isLessThanOrEqualTo(1f).isGreaterThan(0.9f);
    assertThat(range.getInt(2)).isEqualTo(784);
    assertThat(range.getInt(3)).isEqualTo(784);
  }

  @Test
  void keepsTheFirstImagesPixelsAndLabelAsInTheFile() throws IOException {
    Path output = tmp.resolve("examples");
    new PrepareJob(config(sliceSettings(output, "prepare.validation-fraction=0"))).run(spark);

    Row first = spark.read().parquet(output.toString()).filter("id = 'train-0'").head();
    byte[] file = gunzip(SLICE.resolve("train-images-idx3-ubyte.gz"));
    List<Float> features = first.getList(1);
    for (int p = 0; p < 784; p++) {
      assertThat(features.get(p)).isEqualTo((float) ((file[16 + p] & 0xff) * 0.00392156862745098));
    }
    assertThat(first.getInt(2)).isEqualTo(gunzip(SLICE.resolve("train-labels-idx1-ubyte.gz"))[8]);
  }

  @Test
  void skipsARerunWhoseOutputIsCompleteForTheSameInputsAndConfig() {
    Path output = tmp.resolve("examples");
    ExamplesManifest first = new PrepareJob(config(sliceSettings(output))).run(spark);
    ExamplesManifest second = new PrepareJob(config(sliceSettings(output))).run(spark);
    assertThat(second.startedAt()).isEqualTo(first.startedAt());
  }

  @Test
  void refusesACompleteOutputFromAnotherConfigUnlessOverwriting() {
    Path output = tmp.resolve("examples");
    new PrepareJob(config(sliceSettings(output))).run(spark);
    assertThatThrownBy(() -> new PrepareJob(config(sliceSettings(output,
        "prepare.seed=7"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("output " + output + " holds a complete examples table made from other "
            + "inputs or another config; use --mode overwrite to replace it");
    ExamplesManifest replaced = new PrepareJob(config(sliceSettings(output, "prepare.seed=7",
        "prepare.mode=overwrite"))).run(spark);
    assertThat(replaced.splits().seed()).isEqualTo(7);
  }

  @Test
  void refreshSkipsACurrentOutputAndReplacesAStaleOne() {
    Path output = tmp.resolve("examples");
    ExamplesManifest first = new PrepareJob(config(sliceSettings(output))).run(spark);
    ExamplesManifest same = new PrepareJob(config(sliceSettings(output, "prepare.mode=refresh")))
        .run(spark);
    assertThat(same.startedAt()).isEqualTo(first.startedAt());
    ExamplesManifest changed = new PrepareJob(config(sliceSettings(output, "prepare.seed=9",
        "prepare.mode=refresh"))).run(spark);
    assertThat(changed.startedAt()).isNotEqualTo(first.startedAt());
    assertThat(changed.splits().seed()).isEqualTo(9);
  }

  @Test
  void keepsLabelsOnASeededShareOfEachClassOfTrainingRows() {
    Path output = tmp.resolve("examples");
    ExamplesManifest manifest = new PrepareJob(config(sliceSettings(output,
        "prepare.labeled-fraction=0.2", "prepare.validation-fraction=0"))).run(spark);
    ExamplesManifest.SplitCounts train = manifest.rows().bySplit().get("train");
    assertThat(train.labeled() + train.unlabeled()).isEqualTo(300);
    assertThat(train.labeled()).isBetween(45L, 80L);
    assertThat(manifest.rows().bySplit().get("test").unlabeled()).isZero();
    long classesWithLabels = spark.read().parquet(output.toString())
        .filter("split = 'train' AND label IS NOT NULL").select("label").distinct().count();
    assertThat(classesWithLabels).isEqualTo(10);
  }

  @Test
  void rejectsLabelsOutsideTheConfiguredClassCountAndAccountsForEveryRow() {
    Path output = tmp.resolve("examples");
    ExamplesManifest manifest = new PrepareJob(config(sliceSettings(output,
        "prepare.class-count=5", "prepare.max-rejected-fraction=1"))).run(spark);

    List<Row> rejected = rejected(spark, output);
    assertThat(rejected).isNotEmpty().allSatisfy(r -> {
      assertThat(r.getString(1)).isEqualTo("label_out_of_range");
      assertThat(r.getString(2)).matches("label_out_of_range: label [5-9] is outside \\[0, 5\\)");
    });
    assertThat(manifest.rows().rejected()).isEqualTo(rejected.size());
    assertThat(manifest.rows().rejectedByReason()).containsEntry("label_out_of_range",
        (long) rejected.size());
    assertThat(manifest.rows().written() + manifest.rows().rejected()).isEqualTo(400);
    assertThat(spark.read().parquet(output.toString()).filter("label >= 5").count()).isZero();
  }

  @Test
  void failsWhenTheRejectedShareExceedsTheBoundAndKeepsTheRejectedRows() {
    Path output = tmp.resolve("examples");
    assertThatThrownBy(() -> new PrepareJob(config(sliceSettings(output,
        "prepare.class-count=2"))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("3")
        .hasMessageContaining("of 400 input rows")
        .hasMessageContaining("were rejected, more than prepare.max-rejected-fraction = 0.01;"
            + " reasons {label_out_of_range=")
        .hasMessageEndingWith("the rows are in " + output.resolve("_rejected"));
    assertThat(looksComplete(output)).isFalse();
    assertThat(rejected(spark, output)).hasSizeGreaterThan(300);
  }

  @Test
  void namesATruncatedImageFile() throws IOException {
    Path truncated = tmp.resolve("train-images-idx3-ubyte");
    byte[] full = gunzip(SLICE.resolve("train-images-idx3-ubyte.gz"));
    byte[] cut = java.util.Arrays.copyOf(full, full.length - 500);
    Files.write(truncated, cut);
    Path output = tmp.resolve("examples");
    // Uncompressed: the driver compares the file's length with its header, before any task.
    assertThatThrownBy(() -> new PrepareJob(config(sliceSettings(output,
        "prepare.input.train=" + truncated))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("file " + truncated + " declares 300 items of 784 bytes (235216 bytes with "
            + "its header) but holds 234716 bytes");
    assertThat(looksComplete(output)).isFalse();

    // Compressed, the length says nothing: the task reading the range that is missing names it.
    Path gzipped = tmp.resolve("train-images-idx3-ubyte.gz");
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gzipped))) {
      out.write(cut);
    }
    assertThatThrownBy(() -> new PrepareJob(config(sliceSettings(output,
        "prepare.input.train=" + gzipped))).run(spark))
        .hasRootCauseInstanceOf(DistillException.class)
        .rootCause().hasMessage("file " + gzipped + " is truncated: its header declares 300 "
            + "items of 784 bytes, more than the file holds");
    assertThat(looksComplete(output)).isFalse();
  }

  @Test
  void namesAFileThatIsNotIdx() throws IOException {
    Path csv = tmp.resolve("images.csv");
    Files.writeString(csv, "label,p1\n1,2\n");
    assertThatThrownBy(() -> new PrepareJob(config(sliceSettings(tmp.resolve("examples"),
        "prepare.input.train=" + csv))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("file " + csv + " is not an IDX file: its magic number is 0x6c616265, "
            + "expected 0x0000TTNN (TT = type, NN = dimensions)");
  }

  @Test
  void namesImageAndLabelFilesThatDisagreeOnTheCount() {
    assertThatThrownBy(() -> new PrepareJob(config(sliceSettings(tmp.resolve("examples"),
        "prepare.idx.train-labels=" + SLICE.resolve("t10k-labels-idx1-ubyte.gz")))).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("file " + SLICE.resolve("train-images-idx3-ubyte.gz") + " holds 300 images but "
            + SLICE.resolve("t10k-labels-idx1-ubyte.gz") + " holds 100 labels");
  }

  @Test
  void saysHowToGetAMissingDataset() {
    Path missing = tmp.resolve("nowhere/train-images-idx3-ubyte.gz");
    assertThatThrownBy(() -> new PrepareJob(config(sliceSettings(tmp.resolve("examples"),
        "prepare.input.train=" + missing,
        "prepare.input.missing-hint=install it with: apt-get install dataset-fashion-mnist")))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.input.train = " + missing + " does not exist. "
            + "install it with: apt-get install dataset-fashion-mnist");
  }

  static byte[] gunzip(Path file) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      return in.readAllBytes();
    }
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(data);
    }
    return bytes.toByteArray();
  }
}
