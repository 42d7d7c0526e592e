package dev.sparkdistill.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InvalidConfigException;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.SplitDraw;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train.warm-start over an examples table that grows by batches. */
class TrainWarmStartTest extends SparkTestBase {
  @TempDir
  static Path days;

  @TempDir
  Path tmp;

  @BeforeAll
  static void arrivals() {
    writeArrivals(days, List.of("d1", "d2", "d3"));
  }

  private static void addDay(Path table, String day) {
    new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
        "prepare.format=parquet", "prepare.output=" + table, "prepare.batch=" + day,
        "prepare.input.train=" + days.resolve(day).resolve("train"),
        "prepare.parquet.features-column=pixels", "prepare.parquet.id-column=id",
        "prepare.class-count=10", "prepare.max-rejected-fraction=0.05",
        "prepare.scaling.kind=linear", "prepare.scaling.multiply=0.00392156862745098"))))
        .run(spark);
  }

  private static TrainConfig config(Path table, Path model, String... more) {
    List<String> settings = new ArrayList<>(List.of("train.input=" + table,
        "train.output=" + model, "train.mode=refresh", "train.alpha=0", "train.epochs=2",
        "train.model.hidden=[16]", "train.spark.batch-size-per-worker=16",
        "train.batch-column=batch", "train.warm-start=true", "train.replay-fraction=0.5"));
    settings.addAll(List.of(more));
    return TrainConfig.from(ConfigLayers.resolve(Optional.empty(), "", settings));
  }

  /** Labeled training rows of {@code batch}, and those a warm start replays of it. */
  private static long[] trainingRows(Path table, String batch, TrainConfig config, String salt) {
    List<Row> ids = spark.read().parquet(table.toString())
        .filter(col("split").equalTo("train").and(col("label").isNotNull())
            .and(col("batch").equalTo(batch)))
        .select("id").collectAsList();
    long replayed = ids.stream().filter(r -> SplitDraw.unit(config.seed(), salt,
        r.getString(0)) < config.replayFraction()).count();
    return new long[] {ids.size(), replayed};
  }

  @Test
  void aWarmStartTrainsOnTheNewBatchAndAShareOfTheEarlierOnes() {
    Path table = tmp.resolve("examples");
    Path model = tmp.resolve("student");
    addDay(table, "d1");
    TrainConfig config = config(table, model);
    ModelManifest first = new TrainJob(config).run(spark);
    assertThat(first.batches()).containsExactly("d1");
    assertThat(first.warmStartedFrom()).isNull();
    assertThat(first.best().rows()).isEqualTo(trainingRows(table, "d1", config, "")[0]);

    addDay(table, "d2");
    ModelManifest second = new TrainJob(config).run(spark);
    assertThat(second.batches()).containsExactly("d1", "d2");
    assertThat(second.warmStartedFrom()).containsExactly("d1");
    long newRows = trainingRows(table, "d2", config, "")[0];
    long replayed = trainingRows(table, "d1", config, "replay d2")[1];
    assertThat(replayed).isPositive().isLessThan(trainingRows(table, "d1", config, "")[0]);
    assertThat(second.best().rows()).isEqualTo(newRows + replayed);

    // Nothing new: skipped. Another config: a new network on every row.
    assertThat(new TrainJob(config).run(spark).finishedAt()).isEqualTo(second.finishedAt());
    addDay(table, "d3");
    ModelManifest other = new TrainJob(config(table, model, "train.seed=7")).run(spark);
    assertThat(other.warmStartedFrom()).isNull();
    assertThat(other.batches()).containsExactly("d1", "d2", "d3");
    assertThat(other.best().rows()).isEqualTo(spark.read().parquet(table.toString())
        .filter("split = 'train' AND label IS NOT NULL").count());
  }

  @Test
  void aWarmStartNeedsTheBatchColumn() {
    assertThatThrownBy(() -> config(tmp, tmp, "train.batch-column="))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.warm-start needs train.batch-column: the input's batches tell a "
            + "warm start which rows are new");
  }
}
