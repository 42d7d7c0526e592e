package dev.sparkdistill.jobs.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.spark.sql.SparkSession;

/**
 * Generated CSV files through {@code prepare} on local Spark: odd quoting, a byte-order mark,
 * CRLF line ends, stray bytes, short and long rows, words where numbers belong. Property: the
 * job writes a complete table whose rows plus its rejected rows are the rows it read, with the
 * counts in its manifest; or it stops with one line naming the file. Few, small cases, so the
 * property runs in well under a minute.
 */
class CsvPropertiesTest {
  private static SparkSession spark;
  private static Path dir;
  private static final AtomicInteger CASE = new AtomicInteger();

  @BeforeContainer
  static void startSpark() throws IOException {
    spark = dev.sparkdistill.jobs.SparkTestBase.localSpark("csv properties");
    dir = Files.createTempDirectory("csv-properties");
  }

  @AfterContainer
  static void stopSpark() {
    spark.stop();
  }

  @Provide
  Arbitrary<String> lines() {
    Arbitrary<String> number = Arbitraries.of("0", "1", "2.5", "-3", "1e3", "0.0001");
    Arbitrary<String> good = net.jqwik.api.Combinators.combine(Arbitraries.of("0", "1", "2"),
        number.list().ofSize(3)).as((label, values) -> label + "," + String.join(",", values));
    Arbitrary<String> odd = Arbitraries.of("1,\"2\",3,4", "1,\"2,3\",4", "\"1,2,3,4",
        "1,2,3", "1,2,3,4,5", "x,1,2,3", "1,a,2,3", "1,NaN,2,3", "1,Infinity,2,3", "", " ",
        "1,2\u0000,3,4", "1,\u00ff,3,4", "1,,3,4", ",1,2,3", "1;2;3;4", "9999999999,1,2,3",
        "\"\",1,2,3", "1,\"\"\"\",3,4", "1,2,3,4\r");
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, good), net.jqwik.api.Tuple.of(1,
        odd));
  }

  @Provide
  Arbitrary<String> files() {
    return Arbitraries.oneOf(
        lines().list().ofMinSize(1).ofMaxSize(12).map(l -> "label,a,b,c\n"
            + String.join("\n", l) + "\n"),
        lines().list().ofMinSize(1).ofMaxSize(12).map(l -> "\ufefflabel,a,b,c\r\n"
            + String.join("\r\n", l)),
        Arbitraries.strings().ofMaxLength(40).map(s -> "label,a,b,c\n" + s));
  }

  @Property(tries = 20)
  void aCsvFileIsPreparedWholeWithItsRejectedRowsOrRefusedInOneLine(
      @ForAll("files") String text) throws IOException {
    int n = CASE.incrementAndGet();
    Path input = dir.resolve("case-" + n + ".csv");
    Files.write(input, text.getBytes(StandardCharsets.UTF_8));
    Path output = dir.resolve("examples-" + n);
    try {
      new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", List.of(
          "prepare.format=csv", "prepare.input.train=" + input, "prepare.output=" + output,
          "prepare.class-count=3", "prepare.max-rejected-fraction=1")))).run(spark);
    } catch (DistillException e) {
      assertThat(e.getMessage()).as("one line").doesNotContain("\n");
      assertThat(output.resolve("_SUCCESS")).as("nothing that looks complete").doesNotExist();
      return;
    }
    ExamplesManifest manifest = dev.sparkdistill.common.manifest.ManifestJson.read(
        Files.readString(output.resolve("_manifest.json")), ExamplesManifest.class, "manifest");
    long written = spark.read().parquet(output.toString()).count();
    long rejected = Files.exists(output.resolve("_rejected"))
        ? spark.read().parquet(output.resolve("_rejected").toString()).count() : 0;
    assertThat(written).isEqualTo(manifest.rows().written());
    assertThat(rejected).isEqualTo(manifest.rows().rejected());
    assertThat(written + rejected).isEqualTo(manifest.rows().input());
    assertThat(output.resolve("_SUCCESS")).exists();
  }
}
