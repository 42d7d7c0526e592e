package dev.sparkdistill.jobs.prepare;

import static dev.sparkdistill.jobs.prepare.PrepareFixtures.config;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.jobs.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare on generated CSV files with every kind of bad row planted. */
class PrepareCsvTest extends SparkTestBase {
  private static final String PLANTED = String.join("\n",
      "id,label,f0,f1,f2,f3",
      "r1,0,0.1,0.2,0.3,0.4",
      "r2,1,1,2,3,4",
      "r3,,1,2,3,4",
      "r4,2,1,2,3",
      "r5,2,1,2,3,4,5",
      "r6,1,1,abc,3,4",
      "r7,1,1,NaN,3,4",
      "r8,1,1,2,Infinity,4",
      "r9,1.5,1,2,3,4",
      "r10,x,1,2,3,4",
      "r11,7,1,2,3,4",
      "r12,-1,1,2,3,4",
      "r1,2,5,5,5,5",
      ",1,1,2,3,4",
      "r13,\"2\",1,2,3,4",
      "",
      "r14,2.0,1,2,3,4",
      "");

  @TempDir
  Path tmp;

  private Path write(String name, String text) throws IOException {
    Path file = tmp.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    return file;
  }

  /**
   * Features on wildly different scales (0.1 to 1,700, one constant, one negative), some rows
   * unlabeled, a validation share carved from train, and a test file: standard scaling is fitted
   * on the labeled training rows alone, checked against a two-pass reference over exactly those
   * rows, and applied to every split; min-max maps those rows onto [0, 1].
   */
  @Test
  void fitsStandardAndMinMaxScalingOnTheLabeledTrainingRowsAndAppliesThemEverywhere()
      throws IOException {
    java.util.Random random = new java.util.Random(7);
    Map<String, double[]> raw = new java.util.HashMap<>();
    StringBuilder train = new StringBuilder("id,label,f0,f1,f2,f3\n");
    StringBuilder test = new StringBuilder("id,label,f0,f1,f2,f3\n");
    for (int i = 0; i < 80; i++) {
      // Values a float holds exactly: prepare parses features as floats.
      double[] x = {(float) (0.1 + 0.8 * random.nextDouble()),
          (float) (100 + 1600 * random.nextDouble()), 5, (float) (-50 * random.nextDouble())};
      String id = (i < 60 ? "t" : "s") + i;
      raw.put(id, x);
      String label = i < 60 && i % 5 == 0 ? "" : Integer.toString(i % 2);
      (i < 60 ? train : test).append(id).append(',').append(label).append(',')
          .append(x[0]).append(',').append(x[1]).append(',').append(x[2]).append(',')
          .append(x[3]).append('\n');
    }
    Path trainFile = write("scaled/train.csv", train.toString());
    Path testFile = write("scaled/test.csv", test.toString());

    for (String kind : List.of("standard", "min-max")) {
      Path output = tmp.resolve("examples-" + kind);
      ExamplesManifest manifest = new PrepareJob(config("prepare.format=csv",
          "prepare.output=" + output, "prepare.input.train=" + trainFile,
          "prepare.input.test=" + testFile, "prepare.csv.id-column=id",
          "prepare.class-count=2", "prepare.validation-fraction=0.25",
          "prepare.scaling.kind=" + kind)).run(spark);
      List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
      List<String> fitIds = rows.stream().filter(r -> r.getAs("split").equals("train")
          && r.getAs("label") != null).map(r -> r.<String>getAs("id")).toList();
      assertThat(rows.stream().map(r -> r.<String>getAs("split")).distinct())
          .containsExactlyInAnyOrder("train", "validation", "test");
      assertThat(fitIds).hasSizeBetween(30, 45);

      double[] offset = new double[4];
      double[] factor = new double[4];
      for (int f = 0; f < 4; f++) {
        final int feature = f;
        double[] values = fitIds.stream().mapToDouble(id -> raw.get(id)[feature]).toArray();
        if (kind.equals("standard")) {
          double mean = java.util.Arrays.stream(values).sum() / values.length;
          double squares = java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean))
              .sum();
          double std = Math.sqrt(squares / values.length);
          offset[f] = mean;
          factor[f] = std > 0 ? 1 / std : 1;
        } else {
          double min = java.util.Arrays.stream(values).min().orElseThrow();
          double max = java.util.Arrays.stream(values).max().orElseThrow();
          offset[f] = min;
          factor[f] = max > min ? 1 / (max - min) : 1;
        }
      }
      assertThat(manifest.scaling().fittedRows()).isEqualTo(fitIds.size());
      for (int f = 0; f < 4; f++) {
        assertThat(manifest.scaling().offsets().get(f)).isCloseTo(offset[f],
            org.assertj.core.api.Assertions.within(1e-9 * Math.max(1, Math.abs(offset[f]))));
      }
      for (Row row : rows) {
        double[] x = raw.get(row.<String>getAs("id"));
        List<Float> stored = row.getList(row.fieldIndex("features"));
        for (int f = 0; f < 4; f++) {
          double expected = (x[f] - offset[f]) * factor[f];
          assertThat((double) stored.get(f)).as(kind + " feature " + f + " of " + row)
              .isCloseTo(expected, org.assertj.core.api.Assertions.within(
                  1e-5 * Math.max(1, Math.abs(expected))));
        }
        assertThat(stored.get(2)).as("the constant feature").isZero();
      }
      if (kind.equals("standard")) {
        // New rows to predict, prepared alone, scaled as the training rows were, not refitted.
        Path fresh = tmp.resolve("fresh");
        String[] freshSettings = {"prepare.format=csv", "prepare.output=" + fresh,
            "prepare.input.train=" + testFile, "prepare.csv.id-column=id",
            "prepare.class-count=2", "prepare.validation-fraction=0",
            "prepare.scaling.from=" + output};
        ExamplesManifest applied = new PrepareJob(config(freshSettings)).run(spark);
        assertThat(applied.scaling()).isEqualTo(manifest.scaling());
        assertThat(new PrepareJob(config(freshSettings)).run(spark)).as("a rerun is skipped")
            .isEqualTo(applied);
        for (Row row : spark.read().parquet(fresh.toString()).collectAsList()) {
          double[] x = raw.get(row.<String>getAs("id"));
          assertThat((double) row.<Float>getList(row.fieldIndex("features")).get(1))
              .isCloseTo((x[1] - offset[1]) * factor[1],
                  org.assertj.core.api.Assertions.within(1e-5));
        }
        // The training table prepared again: the rows scaled with its old fit are stale.
        new PrepareJob(config("prepare.format=csv", "prepare.output=" + output,
            "prepare.input.train=" + trainFile, "prepare.input.test=" + testFile,
            "prepare.csv.id-column=id", "prepare.class-count=2",
            "prepare.validation-fraction=0.25", "prepare.scaling.kind=" + kind,
            "prepare.mode=overwrite")).run(spark);
        assertThatThrownBy(() -> new PrepareJob(config(freshSettings)).run(spark))
            .hasMessageContaining("made from other inputs or another config");
      }
      if (kind.equals("min-max")) {
        assertThat(rows.stream().filter(r -> fitIds.contains(r.<String>getAs("id")))
            .flatMap(r -> r.<Float>getList(r.fieldIndex("features")).stream()))
            .allMatch(v -> v >= 0f && v <= 1.000001f).contains(0f);
      }
    }
  }

  @Test
  void rejectsEveryKindOfBadRowWithItsReasonAndKeepsTheRest() throws IOException {
    Path input = write("in/train.csv", PLANTED);
    Path output = tmp.resolve("examples");
    ExamplesManifest manifest = new PrepareJob(config("prepare.format=csv",
        "prepare.output=" + output, "prepare.input.train=" + input, "prepare.csv.id-column=id",
        "prepare.class-count=3", "prepare.validation-fraction=0",
        "prepare.max-rejected-fraction=1")).run(spark);

    Map<String, String> reasons = rejected(spark, output).stream().collect(Collectors.toMap(
        r -> r.getString(0) + (r.getString(1).equals("duplicate_id") ? "#" + r.getList(4) : ""),
        r -> r.getString(2)));
    assertThat(reasons).containsOnly(
        Map.entry("r4", "wrong_feature_count: expected 4 values, got 3"),
        Map.entry("r5", "wrong_feature_count: expected 4 values, got 5"),
        Map.entry("r6", "non_numeric_feature: column 3 is 'abc', not a number"),
        Map.entry("r7", "non_finite_feature: column 3 is NaN"),
        Map.entry("r8", "non_finite_feature: column 4 is Infinity"),
        Map.entry("r9", "label_not_integer: label '1.5' is not an integer"),
        Map.entry("r10", "label_not_integer: label 'x' is not an integer"),
        Map.entry("r11", "label_out_of_range: label 7 is outside [0, 3)"),
        Map.entry("r12", "label_out_of_range: label -1 is negative or too large"),
        Map.entry("r1#[0.1, 0.2, 0.3, 0.4]", "duplicate_id: id occurs 2 times"),
        Map.entry("r1#[5.0, 5.0, 5.0, 5.0]", "duplicate_id: id occurs 2 times"),
        Map.entry("train/train.csv:" + (PLANTED.indexOf("\n,1,1,2,3,4") + 1),
            "missing_id: column 0 is empty"));

    List<Row> kept = spark.read().parquet(output.toString()).orderBy("id").collectAsList();
    assertThat(kept).extracting(r -> r.getString(0)).containsExactly("r13", "r14", "r2", "r3");
    assertThat(kept).extracting(r -> r.isNullAt(2) ? null : r.getInt(2))
        .containsExactly(2, 2, 1, null);
    assertThat(kept.get(2).<Float>getList(1)).containsExactly(1f, 2f, 3f, 4f);

    assertThat(manifest.rows().input()).isEqualTo(16);
    assertThat(manifest.rows().written()).isEqualTo(4);
    assertThat(manifest.rows().rejected()).isEqualTo(12);
    assertThat(manifest.rows().unlabeled()).isEqualTo(1);
    assertThat(manifest.rows().rejectedByReason()).containsOnly(
        Map.entry("wrong_feature_count", 2L), Map.entry("non_numeric_feature", 1L),
        Map.entry("non_finite_feature", 2L), Map.entry("label_not_integer", 2L),
        Map.entry("label_out_of_range", 2L), Map.entry("duplicate_id", 2L),
        Map.entry("missing_id", 1L));
    assertThat(manifest.featureShape()).containsExactly(4);
  }

  @Test
  void readsHeaderlessFilesByColumnIndexAndMakesIdsFromFileAndOffset() throws IOException {
    Path train = write("train/part-1.csv", "3;0.5;0.25\n1;1.5;2.5\n");
    Path test = write("test/part-1.csv", "0;9;9\n");
    Path output = tmp.resolve("examples");
    ExamplesManifest manifest = new PrepareJob(config("prepare.format=csv",
        "prepare.output=" + output, "prepare.input.train=" + train.getParent(),
        "prepare.input.test=" + test.getParent(), "prepare.csv.header=false",
        "prepare.csv.delimiter=;", "prepare.csv.label-column=0",
        "prepare.validation-fraction=0")).run(spark);

    List<Row> rows = spark.read().parquet(output.toString()).orderBy("id").collectAsList();
    assertThat(rows).extracting(r -> r.getString(0)).containsExactly(
        "test/part-1.csv:0", "train/part-1.csv:0", "train/part-1.csv:11");
    assertThat(rows).extracting(r -> r.getString(3)).containsExactly("test", "train", "train");
    assertThat(rows.get(1).<Float>getList(1)).containsExactly(0.5f, 0.25f);
    assertThat(manifest.classCount()).isEqualTo(4);
    assertThat(manifest.classNames()).containsExactly("0", "1", "2", "3");
  }

  @Test
  void namesALabelColumnTheHeaderDoesNotHave() throws IOException {
    Path input = write("in/train.csv", "a,b\n1,2\n");
    assertThatThrownBy(() -> new PrepareJob(config("prepare.format=csv",
        "prepare.output=" + tmp.resolve("examples"), "prepare.input.train=" + input,
        "prepare.csv.label-column=target")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.csv.label-column = 'target' is not a column of file:" + input
            + "; it has columns [a, b]");
  }

  @Test
  void namesAnInputThatDoesNotExist() {
    Path missing = tmp.resolve("missing.csv");
    assertThatThrownBy(() -> new PrepareJob(config("prepare.format=csv",
        "prepare.output=" + tmp.resolve("examples"), "prepare.input.train=" + missing))
        .run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.input.train = " + missing + " does not exist");
  }

  @Test
  void refusesToWriteIntoADirectoryThatIsNotAnExamplesTable() throws IOException {
    Path input = write("in/train.csv", "label,a\n1,2\n0,3\n");
    Path output = tmp.resolve("precious");
    write("precious/notes.txt", "keep me");
    assertThatThrownBy(() -> new PrepareJob(config("prepare.format=csv",
        "prepare.output=" + output, "prepare.input.train=" + input)).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("output " + output + " exists and is not an examples table; choose another"
            + " output or use --mode overwrite");
    assertThat(output.resolve("notes.txt")).exists();
  }

  @Test
  void replacesTheLeftoversOfAFailedRun() throws IOException {
    Path input = write("in/train.csv", "label,a\n1,2\n0,3\n");
    Path output = tmp.resolve("examples");
    write("examples/split=train/part-0.parquet", "half-written");
    ExamplesManifest manifest = new PrepareJob(config("prepare.format=csv",
        "prepare.output=" + output, "prepare.input.train=" + input,
        "prepare.validation-fraction=0")).run(spark);
    assertThat(manifest.rows().written()).isEqualTo(2);
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(2);
  }
}
