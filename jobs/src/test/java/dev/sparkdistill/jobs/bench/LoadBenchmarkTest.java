package dev.sparkdistill.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.jobs.SparkTestBase;
import dev.sparkdistill.jobs.train.TrainJob;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load benchmark on the Fashion-MNIST slice at 1x and 2x. */
class LoadBenchmarkTest extends SparkTestBase {

  @TempDir
  Path tmp;

  private static com.typesafe.config.Config resolve(String... settings) {
    return ConfigLayers.resolve(Optional.empty(), "", List.of(settings));
  }

  @Test
  void printsTimeAndHeapPerSizeForInferAndOneEpoch() {
    Path examples = tmp.resolve("examples");
    prepareSlice(examples, false);
    Path teacher = tmp.resolve("teacher");
    new TrainJob(TrainConfig.from(resolve("train.input=" + examples, "train.output=" + teacher,
        "train.alpha=0", "train.epochs=1", "train.model.hidden=[8]"))).run(spark);
    StringWriter text = new StringWriter();

    new LoadBenchmark(InferConfig.from(resolve("infer.input=" + examples,
        "infer.output=unused", "infer.teachers=[\"" + teacher.resolve("model.zip") + "\"]")),
        tmp.resolve("work").toString(), new PrintWriter(text))
        .run(spark, new int[] {1, 2}, List.of("train.model.hidden=[4]"));

    String printed = text.toString();
    assertThat(printed).startsWith("300 rows in " + examples);
    assertThat(printed).containsPattern("\\n +1x +300 +[0-9.]+ +[0-9]+ +[0-9]+/[0-9]+ ");
    assertThat(printed).containsPattern("\\n +2x +600 +[0-9.]+ +[0-9]+ +[0-9]+/[0-9]+ ");
    assertThat(printed).containsPattern("2x the rows: infer took [0-9.]+x the time, the epoch "
        + "[0-9.]+x \\(linear = 2x\\)");
    assertThat(spark.read().parquet(tmp.resolve("work/targets-2x").toString())
        .select("id").distinct().count()).isEqualTo(600);
  }
}
