package dev.sparkdistill.jobs.prepare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Generated Parquet inputs through {@code prepare} on local Spark: feature columns of every
 * numeric element type, of strings, nested arrays, structs, text and ML vectors, with nulls
 * inside and around the arrays; labels and ids of unexpected types; a column missing; and two
 * files of one input whose schemas disagree. Property: the job writes a complete table whose
 * rows plus its rejected rows are the rows it read, with the counts in its manifest; or it stops
 * with one line naming the input or the column. Few, small cases, so the property runs in well
 * under a minute.
 */
class ParquetPropertiesTest {
  private static final int FEATURES = 3;
  private static SparkSession spark;
  private static Path dir;
  private static final AtomicInteger CASE = new AtomicInteger();

  /** How the features column is stored. */
  enum Features { DOUBLES, FLOATS, INTS, LONGS, STRINGS, NESTED, STRUCT, TEXT, VECTOR, MISSING }

  /** How the label column is stored. */
  enum Labels { DOUBLE, INT, LONG, STRING, BOOLEAN, MISSING }

  /** How the id column is stored; NONE configures no id column. */
  enum Ids { STRING, INT, LONG, BINARY, NONE }

  /** One generated row: values (a null list is a null array), a label and an id number. */
  record Generated(List<Double> values, Double label, Integer id) {}

  /** One input: the column types of its first file and, when given, of a second file. */
  record Input(Features features, Labels labels, Ids ids, Features secondFile,
      List<Generated> rows) {}

  @BeforeContainer
  static void startSpark() throws IOException {
    spark = dev.sparkdistill.jobs.SparkTestBase.localSpark("parquet properties");
    dir = Files.createTempDirectory("parquet-properties");
  }

  @AfterContainer
  static void stopSpark() {
    spark.stop();
  }

  @Provide
  Arbitrary<Input> inputs() {
    Arbitrary<Double> value = Arbitraries.of(0.0, 1.0, 2.5, -3.0, 255.0, Double.NaN,
        Double.POSITIVE_INFINITY).injectNull(0.1);
    Arbitrary<List<Double>> values = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, value.list().ofSize(FEATURES)),
        net.jqwik.api.Tuple.of(2, value.list().ofMaxSize(5))).injectNull(0.05);
    Arbitrary<Double> label = Arbitraries.of(0.0, 1.0, 2.0, 2.5, -1.0, 3.0, 1e12)
        .injectNull(0.1);
    Arbitrary<Integer> id = Arbitraries.integers().between(0, 30).injectNull(0.05);
    Arbitrary<Generated> row = Combinators.combine(values, label, id).as(Generated::new);
    Arbitrary<Features> features = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, Arbitraries.of(Features.DOUBLES, Features.FLOATS,
            Features.VECTOR)),
        net.jqwik.api.Tuple.of(3, Arbitraries.of(Features.class)));
    Arbitrary<Labels> labels = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, Arbitraries.of(Labels.DOUBLE, Labels.INT, Labels.LONG)),
        net.jqwik.api.Tuple.of(2, Arbitraries.of(Labels.class)));
    return Combinators.combine(features, labels, Arbitraries.of(Ids.class),
        Arbitraries.of(Features.class).injectNull(0.8), row.list().ofMinSize(1).ofMaxSize(10))
        .as(Input::new);
  }

  @Property(tries = 12)
  void aParquetInputIsPreparedWholeWithItsRejectedRowsOrRefusedInOneLine(
      @ForAll("inputs") Input generated) throws IOException {
    int n = CASE.incrementAndGet();
    Path input = dir.resolve("case-" + n);
    List<Generated> rows = generated.rows();
    int half = generated.secondFile() == null ? rows.size() : (rows.size() + 1) / 2;
    write(generated.features(), generated, rows.subList(0, half), input.resolve("part-a.parquet"));
    if (half < rows.size()) {
      write(generated.secondFile(), generated, rows.subList(half, rows.size()),
          input.resolve("part-b.parquet"));
    }
    Path output = dir.resolve("examples-" + n);
    ExamplesManifest manifest;
    try {
      manifest = new PrepareJob(PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "",
          List.of("prepare.format=parquet", "prepare.input.train=" + input,
              "prepare.output=" + output, "prepare.parquet.features-column=features",
              "prepare.parquet.label-column=label",
              "prepare.parquet.id-column=" + (generated.ids() == Ids.NONE ? "" : "id"),
              "prepare.feature-shape=[" + FEATURES + "]", "prepare.class-count=3",
              "prepare.validation-fraction=0", "prepare.max-rejected-fraction=1"))))
          .run(spark);
    } catch (DistillException e) {
      assertThat(e.getMessage()).as("one line").doesNotContain("\n");
      assertThat(e.getMessage()).as("names the input or the column")
          .containsAnyOf(input.toString(), "prepare.parquet.");
      assertThat(output.resolve("_SUCCESS")).as("nothing that looks complete").doesNotExist();
      return;
    }
    long written = spark.read().parquet(output.toString()).count();
    long rejected = Files.exists(output.resolve("_rejected"))
        ? spark.read().parquet(output.resolve("_rejected").toString()).count() : 0;
    assertThat(ManifestJson.read(Files.readString(output.resolve("_manifest.json")),
        ExamplesManifest.class, "manifest").rows()).isEqualTo(manifest.rows());
    assertThat(written).isEqualTo(manifest.rows().written());
    assertThat(rejected).isEqualTo(manifest.rows().rejected());
    assertThat(written + rejected).isEqualTo(manifest.rows().input()).isEqualTo(rows.size());
    assertThat(output.resolve("_SUCCESS")).exists();
  }

  /** One Parquet file of the rows, its columns stored as the kinds say. */
  private static void write(Features features, Input kinds, List<Generated> rows, Path file) {
    StructType schema = new StructType()
        .add(features == Features.MISSING ? "pixels" : "features", featuresType(features))
        .add(kinds.labels() == Labels.MISSING ? "target" : "label", labelType(kinds.labels()));
    if (kinds.ids() != Ids.NONE) {
      schema = schema.add("id", idType(kinds.ids()));
    }
    List<Row> out = new ArrayList<>();
    for (Generated row : rows) {
      List<Object> cells = new ArrayList<>();
      cells.add(features(features, row.values()));
      cells.add(label(kinds.labels(), row.label()));
      if (kinds.ids() != Ids.NONE) {
        cells.add(id(kinds.ids(), row.id()));
      }
      out.add(RowFactory.create(cells.toArray()));
    }
    Path folder = file.resolveSibling(file.getFileName() + ".tmp");
    spark.createDataFrame(out, schema).coalesce(1).write().parquet(folder.toString());
    try (var parts = Files.list(folder)) {
      Path part = parts.filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .findFirst().orElseThrow();
      Files.createDirectories(file.getParent());
      Files.move(part, file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static DataType featuresType(Features kind) {
    return switch (kind) {
      case DOUBLES, MISSING -> DataTypes.createArrayType(DataTypes.DoubleType, true);
      case FLOATS -> DataTypes.createArrayType(DataTypes.FloatType, true);
      case INTS -> DataTypes.createArrayType(DataTypes.IntegerType, true);
      case LONGS -> DataTypes.createArrayType(DataTypes.LongType, true);
      case STRINGS -> DataTypes.createArrayType(DataTypes.StringType, true);
      case NESTED -> DataTypes.createArrayType(
          DataTypes.createArrayType(DataTypes.DoubleType, true), true);
      case STRUCT -> new StructType().add("a", DataTypes.DoubleType);
      case TEXT -> DataTypes.StringType;
      case VECTOR -> SQLDataTypes.VectorType();
    };
  }

  private static Object features(Features kind, List<Double> values) {
    if (values == null) {
      return null;
    }
    return switch (kind) {
      case DOUBLES, MISSING -> values.toArray(Double[]::new);
      case FLOATS -> values.stream().map(v -> v == null ? null : v.floatValue())
          .toArray(Float[]::new);
      case INTS -> values.stream().map(v -> v == null || v.isNaN() ? null : v.intValue())
          .toArray(Integer[]::new);
      case LONGS -> values.stream().map(v -> v == null || v.isNaN() ? null : v.longValue())
          .toArray(Long[]::new);
      case STRINGS -> values.stream().map(v -> v == null ? null : v.toString())
          .toArray(String[]::new);
      case NESTED -> values.stream().map(v -> new Double[] {v}).toArray(Object[]::new);
      case STRUCT -> RowFactory.create(values.isEmpty() ? null : values.get(0));
      case TEXT -> values.toString();
      case VECTOR -> Vectors.dense(values.stream().mapToDouble(v -> v == null ? 0 : v)
          .toArray());
    };
  }

  private static DataType labelType(Labels kind) {
    return switch (kind) {
      case DOUBLE, MISSING -> DataTypes.DoubleType;
      case INT -> DataTypes.IntegerType;
      case LONG -> DataTypes.LongType;
      case STRING -> DataTypes.StringType;
      case BOOLEAN -> DataTypes.BooleanType;
    };
  }

  private static Object label(Labels kind, Double label) {
    if (label == null) {
      return null;
    }
    return switch (kind) {
      case DOUBLE, MISSING -> label;
      case INT -> label.intValue();
      case LONG -> label.longValue();
      case STRING -> label.toString();
      case BOOLEAN -> label > 0;
    };
  }

  private static DataType idType(Ids kind) {
    return switch (kind) {
      case STRING -> DataTypes.StringType;
      case INT -> DataTypes.IntegerType;
      case LONG, NONE -> DataTypes.LongType;
      case BINARY -> DataTypes.BinaryType;
    };
  }

  private static Object id(Ids kind, Integer id) {
    if (id == null) {
      return null;
    }
    return switch (kind) {
      case STRING -> "row-" + id;
      case INT -> id;
      case LONG, NONE -> (long) id;
      case BINARY -> ("row-" + id).getBytes(StandardCharsets.UTF_8);
    };
  }
}
