package dev.sparkdistill.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.jobs.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduled, incremental infer runs over an examples table with an ingest batch column (named
 * otherwise than prepare names its own, which infer follows just as well).
 */
class InferIncrementalTest extends SparkTestBase {
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType)
      .add("features", DataTypes.createArrayType(DataTypes.FloatType))
      .add("label", DataTypes.IntegerType)
      .add("split", DataTypes.StringType)
      .add("ingest_batch", DataTypes.StringType);

  @TempDir
  Path tmp;

  private void addBatch(Path examples, String batch, int rows, long seed) throws IOException {
    Random random = new Random(seed);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      float[] x = {(float) random.nextGaussian(), (float) random.nextGaussian(),
          (float) random.nextGaussian(), (float) random.nextGaussian()};
      data.add(RowFactory.create(batch + "-" + i, x, i % 4 == 0 ? null : i % 3,
          i % 5 == 0 ? "test" : "train", batch));
    }
    spark.createDataFrame(data, SCHEMA).repartition(2).write().mode("append")
        .partitionBy("split", "ingest_batch").parquet(examples.toString());
    Files.writeString(examples.resolve("_manifest.json"), "{\"kind\": \"examples\", "
        + "\"featureShape\": [4], \"featureCount\": 4, \"classCount\": 3, "
        + "\"classNames\": [\"a\", \"b\", \"c\"], \"batchesSoFar\": \"" + batch + "\"}");
    Files.writeString(examples.resolve("_SUCCESS"), "");
  }

  private Path teacher(String name, long seed) throws IOException {
    MultiLayerNetwork network = ModelFactory.create(
        TrainConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of("train.input=x",
            "train.output=y", "train.model.hidden=[6]"))).model(), List.of(4), 3,
        new DistillationLoss(0, 1), new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.1, 1),
        seed);
    Path file = tmp.resolve(name);
    ModelSerializer.writeModel(network, file.toFile(), false);
    return file;
  }

  private InferConfig config(Path examples, Path output, Path teacher, String... more) {
    List<String> settings = new ArrayList<>(List.of("infer.input=" + examples,
        "infer.output=" + output, "infer.teachers=[\"" + teacher + "\"]",
        "infer.batch-column=ingest_batch", "infer.batch-size=16"));
    settings.addAll(List.of(more));
    return InferConfig.from(ConfigLayers.resolve(Optional.empty(), "", settings));
  }

  @Test
  void scoresOnlyNewBatchesAndLeavesExistingOutputUntouched() throws Exception {
    Path examples = tmp.resolve("examples");
    Path output = tmp.resolve("targets");
    Path teacher = teacher("teacher.zip", 1);
    addBatch(examples, "b1", 60, 1);

    TargetsManifest first = new InferJob(config(examples, output, teacher)).run(spark);
    assertThat(first.batches()).containsExactly("b1");
    assertThat(first.rows().input()).isEqualTo(60);
    Map<Path, FileTime> b1Files = batchFiles(output, "b1");
    assertThat(b1Files).isNotEmpty();

    TargetsManifest again = new InferJob(config(examples, output, teacher)).run(spark);
    assertThat(again.startedAt()).isEqualTo(first.startedAt());

    addBatch(examples, "b2", 40, 2);
    TargetsManifest second = new InferJob(config(examples, output, teacher)).run(spark);
    assertThat(second.batches()).containsExactly("b1", "b2");
    assertThat(second.rows().input()).isEqualTo(100);
    assertThat(second.rows().scored() + second.rows().filtered()).isEqualTo(100);
    assertThat(batchFiles(output, "b1")).isEqualTo(b1Files);
    List<Row> ids = spark.read().parquet(output.toString()).select("id", "ingest_batch")
        .collectAsList();
    assertThat(ids).hasSize(100);
    assertThat(ids.stream().map(r -> r.getString(0)).distinct().count()).isEqualTo(100);
    assertThat(output.resolve("_SUCCESS")).exists();
  }

  @Test
  void replacesTheLeftoversOfAnInterruptedAppend() throws Exception {
    Path examples = tmp.resolve("examples");
    Path output = tmp.resolve("targets");
    Path teacher = teacher("teacher.zip", 1);
    addBatch(examples, "b1", 30, 1);
    new InferJob(config(examples, output, teacher)).run(spark);
    addBatch(examples, "b2", 20, 2);
    // An append that died after writing part of batch b2 and before the manifest.
    Files.delete(output.resolve("_SUCCESS"));
    Path partial = output.resolve("split=train/ingest_batch=b2/part-00000-partial.snappy.parquet");
    Files.createDirectories(partial.getParent());
    Files.writeString(partial, "half a file");

    TargetsManifest done = new InferJob(config(examples, output, teacher)).run(spark);

    assertThat(partial).doesNotExist();
    assertThat(done.batches()).containsExactly("b1", "b2");
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(50);
  }

  @Test
  void refusesToMixScoresOfAnotherTeacherUnlessOverwriting() throws Exception {
    Path examples = tmp.resolve("examples");
    Path output = tmp.resolve("targets");
    addBatch(examples, "b1", 30, 1);
    new InferJob(config(examples, output, teacher("one.zip", 1))).run(spark);
    addBatch(examples, "b2", 20, 2);
    Path other = teacher("two.zip", 2);

    assertThatThrownBy(() -> new InferJob(config(examples, output, other)).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessage("output " + output + " holds targets scored by other teachers or another "
            + "config; use --mode overwrite to replace it");
    TargetsManifest replaced = new InferJob(config(examples, output, other,
        "infer.mode=overwrite")).run(spark);
    assertThat(replaced.batches()).containsExactly("b1", "b2");
    assertThat(replaced.teachers()).extracting(TargetsManifest.Teacher::path)
        .containsExactly(other.toString());
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(50);
  }

  @Test
  void namesABatchColumnTheExamplesDoNotHave() throws Exception {
    Path examples = tmp.resolve("examples");
    addBatch(examples, "b1", 10, 1);
    assertThatThrownBy(() -> new InferJob(config(examples, tmp.resolve("t"),
        teacher("t.zip", 1), "infer.batch-column=ingest_day")).run(spark))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("infer.batch-column = 'ingest_day' is not a column of "
            + examples + "; its columns are [id, features, label, split, ingest_batch]");
  }
}
