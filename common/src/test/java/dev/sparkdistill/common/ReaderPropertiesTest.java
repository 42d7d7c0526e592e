package dev.sparkdistill.common;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.InvalidConfigException;
import dev.sparkdistill.common.config.PredictConfig;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.RunConfig;
import dev.sparkdistill.common.config.SweepConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.BatchName;
import dev.sparkdistill.common.io.IdxReader;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TableShape;
import com.typesafe.config.Config;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Generated inputs against the readers a job meets first: IDX files, table manifests and config
 * values. Property: the input is read whole and valid, or refused with a {@link DistillException}
 * of one line naming the file or key; never another exception, a hang or an allocation the
 * input merely asked for.
 */
class ReaderPropertiesTest {
  private static final String IDX_NAME = "raw/train-images-idx3-ubyte";
  private static final String MANIFEST_NAME = "examples/_manifest.json";

  // ---- IDX --------------------------------------------------------------------------------

  /** A valid IDX file of unsigned bytes: rank 1 to 3, small sizes. */
  private static byte[] idx(int[] dims, long seed) {
    long items = 1;
    for (int d : dims) {
      items *= d;
    }
    ByteBuffer file = ByteBuffer.allocate(4 + 4 * dims.length + (int) items);
    file.putInt(0x0800 | dims.length);
    for (int d : dims) {
      file.putInt(d);
    }
    java.util.Random random = new java.util.Random(seed);
    while (file.hasRemaining()) {
      file.put((byte) random.nextInt(256));
    }
    return file.array();
  }

  @Provide
  Arbitrary<byte[]> idxFiles() {
    Arbitrary<byte[]> valid = Combinators.combine(
        Arbitraries.integers().between(1, 3).flatMap(rank -> Arbitraries.integers().between(1, 9)
            .array(int[].class).ofSize(rank)),
        Arbitraries.longs()).as(ReaderPropertiesTest::idx);
    return Arbitraries.oneOf(
        valid,
        // cut anywhere
        valid.flatMap(f -> Arbitraries.integers().between(0, f.length).map(n ->
            java.util.Arrays.copyOf(f, n))),
        // one header or data byte changed
        Combinators.combine(valid, Arbitraries.integers().between(0, 15),
            Arbitraries.bytes()).as((f, at, b) -> {
              byte[] copy = f.clone();
              copy[Math.min(at, copy.length - 1)] = b;
              return copy;
            }),
        // a dimension declared huge: billions of items, or items of gigabytes
        Combinators.combine(valid, Arbitraries.of(0x7fffffff, 0x10000, 1 << 20, -1))
            .as((f, size) -> {
              byte[] copy = f.clone();
              ByteBuffer.wrap(copy).putInt(4 + 4 * Math.max(0, (copy[3] & 0xff) - 1) % 12, size);
              return copy;
            }),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(64));
  }

  @Property(tries = 400)
  void anIdxFileIsReadWholeOrRefusedInOneLineNamingIt(@ForAll("idxFiles") byte[] file)
      throws IOException {
    try (IdxReader reader = IdxReader.open(new ByteArrayInputStream(file), IDX_NAME)) {
      long read = 0;
      while (read < reader.header().itemCount()) {
        reader.nextItem();
        read++;
      }
      assertThat(reader.header().dataOffset() + read * reader.header().itemSize())
          .as("every item read came from the file").isLessThanOrEqualTo(file.length);
    } catch (DistillException e) {
      assertOneLineNaming(e, IDX_NAME);
    }
  }

  // ---- manifests --------------------------------------------------------------------------

  private static final String VALID_MANIFEST = ManifestJson.write(Map.of("schemaVersion", 1,
      "kind", "examples", "featureShape", List.of(1, 28, 28), "featureCount", 784,
      "classCount", 10, "classNames", List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")));

  @Provide
  Arbitrary<String> manifests() {
    Arbitrary<String> tokens = Arbitraries.of("null", "-1", "0", "1e99", "\"x\"", "[]", "{}",
        "[0]", "[-3, 4]", "true", "2147483648", "[1, 28]", "[\"a\"]", "[[1]]", "\"");
    Arbitrary<String> valueReplaced = Combinators.combine(
        Arbitraries.of("featureShape", "featureCount", "classCount", "classNames", "kind"),
        tokens).as((field, token) -> VALID_MANIFEST.replaceFirst(
            "(\"" + field + "\" : )(\\[[^\\]]*\\]|[^,\\n]*)", "$1" + java.util.regex.Matcher
                .quoteReplacement(token)));
    Arbitrary<String> cut = Arbitraries.integers().between(0, VALID_MANIFEST.length())
        .map(n -> VALID_MANIFEST.substring(0, n));
    Arbitrary<String> fieldDropped = Arbitraries.of("featureShape", "featureCount", "classCount")
        .map(field -> VALID_MANIFEST.replaceFirst("\\s*\"" + field + "\" : [^\\n]*\\n", "\n"));
    return Arbitraries.oneOf(Arbitraries.just(VALID_MANIFEST), valueReplaced, cut, fieldDropped,
        Arbitraries.strings().ofMaxLength(80), Arbitraries.just("[".repeat(5000)));
  }

  @Property(tries = 400)
  void aManifestIsReadValidOrRefusedInOneLineNamingTheFile(@ForAll("manifests") String text) {
    try {
      TableShape shape = ManifestJson.read(text, TableShape.class, MANIFEST_NAME);
      assertThat(shape.featureShape().stream().reduce(1, Math::multiplyExact))
          .isEqualTo(shape.featureCount());
      assertThat(shape.classCount()).isPositive();
    } catch (DistillException e) {
      assertOneLineNaming(e, MANIFEST_NAME);
    }
  }

  // ---- config values ----------------------------------------------------------------------

  /** Each section's typed config, with the settings it requires. */
  private static final Map<String, Function<Config, ?>> TYPED = Map.of(
      "prepare", PrepareConfig::from, "train", TrainConfig::from, "infer", InferConfig::from,
      "evaluate", EvaluateConfig::from, "predict", PredictConfig::from,
      "sweep", SweepConfig::from, "run", RunConfig::from, "batch", BatchName::of);
  private static final List<String> REQUIRED = List.of("prepare.input.train=a.csv",
      "prepare.output=out", "train.input=t", "train.output=m", "infer.input=e",
      "infer.output=t", "infer.teachers=[m.zip]", "evaluate.input=e", "evaluate.output=r",
      "evaluate.teacher=m.zip", "predict.input=e", "predict.output=p", "predict.model=m.zip",
      "sweep.output=s", "run.steps=[\"prepare --config a.conf\"]");

  @Provide
  Arbitrary<String> keys() {
    List<String> keys = new ArrayList<>();
    ConfigLayers.reference().entrySet().forEach(e -> keys.add(e.getKey()));
    return Arbitraries.of(keys);
  }

  @Provide
  Arbitrary<String> values() {
    return Arbitraries.oneOf(
        Arbitraries.of("", "-1", "0", "0.5", "1e400", "-0", "NaN", "abc", "[1,2]", "[]",
            "{a=1}", "true", "null", "\"s3a://b/x\"", "[\"a\", 1]", "2147483648", "1 2",
            "${missing}", "\"unterminated", "[[1]]", "{}", "=", "\u00e9\u4e2d"),
        Arbitraries.strings().ofMaxLength(12));
  }

  @Property(tries = 600)
  void aConfigValueIsAcceptedOrRefusedInOneLineNamingItsKey(@ForAll("keys") String key,
      @ForAll("values") String value) {
    List<String> settings = new ArrayList<>(REQUIRED);
    settings.add(key + "=" + value);
    String section = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
    try {
      Object typed = TYPED.get(section).apply(ConfigLayers.resolve(Optional.empty(), "",
          settings));
      assertThat(typed).isNotNull();
    } catch (InvalidConfigException e) {
      assertThat(e.getMessage()).as("one line").doesNotContain("\n");
      // the key, or the block it sits in when the rule is about the block ("infer.augment")
      String named = key;
      while (!e.getMessage().contains(named) && named.indexOf('.') != named.lastIndexOf('.')) {
        named = named.substring(0, named.lastIndexOf('.'));
      }
      assertThat(e.getMessage()).as("names the key or its block").contains(named);
    }
  }

  private static void assertOneLineNaming(DistillException e, String name) {
    assertThat(e.getMessage()).as("one line").doesNotContain("\n").contains(name);
  }
}
