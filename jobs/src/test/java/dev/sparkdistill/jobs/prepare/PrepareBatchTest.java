package dev.sparkdistill.jobs.prepare;

import static dev.sparkdistill.jobs.prepare.PrepareFixtures.config;
import static dev.sparkdistill.jobs.prepare.PrepareFixtures.manifest;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.jobs.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare.batch: days of the Fashion-MNIST slice arriving as Parquet files (id, pixels, label),
 * each added to one examples table as its own batch.
 */
class PrepareBatchTest extends SparkTestBase {
  @TempDir
  static Path days;

  @TempDir
  Path tmp;

  /** Three disjoint days of the slice's 400 rows; day d2 brings three rows of 5 values. */
  @BeforeAll
  static void arrivals() {
    writeArrivals(days, List.of("d1", "d2", "d3"));
  }

  private static List<String> day(String batch, Path output, String... more) {
    List<String> settings = new ArrayList<>(List.of("prepare.format=parquet",
        "prepare.output=" + output, "prepare.batch=" + batch,
        "prepare.input.train=" + days.resolve(batch).resolve("train"),
        "prepare.input.test=" + days.resolve(batch).resolve("test"),
        "prepare.parquet.features-column=pixels", "prepare.parquet.id-column=id",
        "prepare.feature-shape=[1,28,28]", "prepare.class-count=10",
        "prepare.scaling.kind=linear", "prepare.scaling.multiply=0.00392156862745098",
        "prepare.max-rejected-fraction=0.05"));
    settings.addAll(List.of(more));
    return settings;
  }

  private static ExamplesManifest prepare(List<String> settings) {
    return new PrepareJob(config(settings.toArray(String[]::new))).run(spark);
  }

  private static Map<String, String> splitById(Path table) {
    return spark.read().parquet(table.toString()).select("id", "split").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1)));
  }

  @Test
  void addsEachDayAsABatchWithEveryRowOnceAndRerunsAsNoOps() throws IOException {
    Path table = tmp.resolve("examples");
    prepare(day("d1", table));
    prepare(day("d2", table));
    ExamplesManifest after3 = prepare(day("d3", table));

    assertThat(after3.batchNames()).containsExactly("d1", "d2", "d3");
    assertThat(after3.rows().written()).isEqualTo(400);
    assertThat(after3.rows().rejected()).isEqualTo(3);
    assertThat(after3.rows().input()).isEqualTo(403);
    assertThat(after3.batch("d2").orElseThrow().rows().rejectedByReason())
        .containsEntry("wrong_feature_count", 3L);
    assertThat(after3.batches().stream().mapToLong(b -> b.rows().written()).sum()).isEqualTo(400);
    Dataset<Row> rows = spark.read().parquet(table.toString());
    assertThat(rows.columns()).contains("batch");
    assertThat(rows.select("id").distinct().count()).isEqualTo(400);
    Map<String, Long> perBatch = rows.groupBy(col("batch").cast("string")).count()
        .collectAsList().stream().collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));
    after3.batches().forEach(b -> assertThat(perBatch.get(b.name())).isEqualTo(b.rows().written()));
    assertThat(spark.read().parquet(table.resolve("_rejected").resolve("batch=d2").toString())
        .select("id").collectAsList()).extracting(r -> r.getString(0))
        .containsExactlyInAnyOrder("bad-1", "bad-2", "bad-3");
    assertThat(table.resolve("_staging")).doesNotExist();

    Map<Path, FileTime> d2Files = batchFiles(table, "d2");
    ExamplesManifest rerun = prepare(day("d2", table));
    assertThat(rerun.finishedAt()).isEqualTo(after3.finishedAt());
    assertThat(batchFiles(table, "d2")).isEqualTo(d2Files);
    assertThat(manifest(table)).isEqualTo(after3);

    // The split rule is the row's own: the same rows prepared as one batch land alike.
    Path together = tmp.resolve("together");
    for (String split : List.of("train", "test")) {
      spark.read().parquet(days.resolve("d1").resolve(split).toString(),
              days.resolve("d2").resolve(split).toString(),
              days.resolve("d3").resolve(split).toString())
          .write().parquet(days.resolve("all-" + tmp.getFileName()).resolve(split).toString());
    }
    prepare(day("all", together, "prepare.input.train=" + days.resolve("all-"
        + tmp.getFileName()).resolve("train"), "prepare.input.test=" + days.resolve("all-"
        + tmp.getFileName()).resolve("test")));
    assertThat(splitById(together)).isEqualTo(splitById(table));
    assertThat(splitById(table).values()).contains("validation");
  }

  @Test
  void refusesAnIdOfAnEarlierBatchAndOtherInputsForABatchUnlessOverwritten() throws IOException {
    Path table = tmp.resolve("examples");
    prepare(day("d1", table));
    prepare(day("d3", table));
    // d1 again under another name: every id is already in the table.
    assertThatThrownBy(() -> prepare(day("d4", table, "prepare.input.train="
        + days.resolve("d1").resolve("train"), "prepare.input.test="
        + days.resolve("d1").resolve("test"))))
        .isInstanceOf(DistillException.class)
        .hasMessageContaining("were rejected").hasMessageContaining("duplicate_id=");
    List<Row> rejected = spark.read().parquet(table.resolve("_rejected").resolve("batch=d4")
        .toString()).select("reason").distinct().collectAsList();
    assertThat(rejected).extracting(r -> r.getString(0))
        .containsExactly("duplicate_id: id already in batch d1");
    assertThat(manifest(table).batchNames()).containsExactly("d1", "d3");

    // Other inputs for batch d3: refused, then replaced alone with --mode overwrite.
    List<String> otherInputs = day("d3", table, "prepare.input.train="
        + days.resolve("d2").resolve("train"), "prepare.input.test="
        + days.resolve("d2").resolve("test"));
    assertThatThrownBy(() -> prepare(otherInputs))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.batch = d3: " + table + " holds batch d3 prepared from other "
            + "inputs or another config; use --mode overwrite to replace just that batch");
    Map<Path, FileTime> d1Files = batchFiles(table, "d1");
    List<String> overwrite = new ArrayList<>(otherInputs);
    overwrite.add("prepare.mode=overwrite");
    ExamplesManifest replaced = prepare(overwrite);
    assertThat(replaced.batchNames()).containsExactly("d1", "d3");
    assertThat(replaced.batch("d3").orElseThrow().rows().rejected()).isEqualTo(3);
    assertThat(batchFiles(table, "d1")).isEqualTo(d1Files);
    Set<String> d2Ids = Set.copyOf(spark.read().parquet(days.resolve("d2").resolve("train")
        .toString()).filter(expr("size(pixels) = 784")).select("id").as(
            org.apache.spark.sql.Encoders.STRING()).collectAsList());
    assertThat(Set.copyOf(spark.read().parquet(table.toString())
        .filter(col("batch").equalTo("d3").and(col("split").isin("train", "validation")))
        .select("id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList()))
        .isEqualTo(d2Ids);
  }

  @Test
  void aNewBatchClearsWhatAnInterruptedAppendLeft() throws IOException {
    Path table = tmp.resolve("examples");
    ExamplesManifest first = prepare(day("d1", table));
    // An append of d2 that died after moving its training rows in, before the manifest.
    Path leftover = table.resolve("split=train/batch=d2/part-00000-left.snappy.parquet");
    Files.createDirectories(leftover.getParent());
    Files.copy(Files.list(table.resolve("split=train/batch=d1")).filter(
        p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow(), leftover);
    Files.createDirectories(table.resolve("_staging/split=test/batch=d2"));
    assertThat(manifest(table)).isEqualTo(first);

    ExamplesManifest after = prepare(day("d3", table));

    assertThat(leftover.getParent()).doesNotExist();
    assertThat(table.resolve("_staging")).doesNotExist();
    assertThat(after.batchNames()).containsExactly("d1", "d3");
    assertThat(spark.read().parquet(table.toString()).count()).isEqualTo(after.rows().written());

    // Rows without a complete manifest are never cleared on a guess.
    Files.delete(table.resolve("_SUCCESS"));
    assertThatThrownBy(() -> prepare(day("d2", table)))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.batch = d2: " + table + " holds rows but no complete manifest (a "
            + "first batch that did not finish, or a table whose _manifest.json or _SUCCESS is "
            + "gone); use --mode overwrite to clear it and start the table again");
    assertThat(table.resolve("split=train/batch=d1")).exists();
    assertThat(prepare(day("d2", table, "prepare.mode=overwrite")).batchNames())
        .containsExactly("d2");
  }

  @Test
  void aBatchThatDoesNotFitTheTableIsRefusedInOneLine() {
    Path table = tmp.resolve("examples");
    prepare(day("d1", table));
    assertThatThrownBy(() -> prepare(day("d2", table, "prepare.scaling.kind=standard",
        "prepare.scaling.multiply=1")))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.batch = d2 is added to a table scaled by linear (x * "
            + "0.00392156862745098 + 0.0); prepare.scaling asks for standard: every batch is "
            + "scaled as the table is");
    assertThatThrownBy(() -> prepare(day("d2", table, "prepare.seed=7")))
        .isInstanceOf(DistillException.class)
        .hasMessageContaining("seed 42; this config gives 0.1, 1 and 7");
    assertThatThrownBy(() -> prepare(day("d2", table, "prepare.feature-shape=[784]")))
        .isInstanceOf(DistillException.class)
        .hasMessage("prepare.batch = d2: the rows have shape [784] but the examples table "
            + table + " has [1, 28, 28]");

    assertThatThrownBy(() -> prepare(day("d2", table, "prepare.class-count=0")))
        .isInstanceOf(dev.sparkdistill.common.config.InvalidConfigException.class)
        .hasMessageStartingWith("prepare.batch needs prepare.class-count or "
            + "prepare.class-names");
    List<String> whole1 = new ArrayList<>(day("d1", table));
    whole1.remove("prepare.batch=d1");
    assertThatThrownBy(() -> prepare(whole1))
        .isInstanceOf(DistillException.class)
        .hasMessage(table + " holds an examples table built by batches ([d1]); set "
            + "prepare.batch to add one, or use --mode overwrite to replace the whole table");

    Path whole = prepareSlice(tmp.resolve("whole"), false);
    assertThatThrownBy(() -> prepare(day("d2", whole)))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("prepare.batch = d2: " + whole + " holds an examples table "
            + "prepared whole");
    assertThat(manifest(table).batchNames()).containsExactly("d1");
  }
}
