package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.data.Split;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PrepareConfigTest {
  /** The smallest valid config: an output and the training rows. */
  private static final String MINIMAL = "prepare { output = out, input.train = train.csv }";

  private static final String FASHION_MNIST = """
      prepare {
        format = idx
        output = "data/fashion-mnist/examples"
        input {
          train = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
          test = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
          missing-hint = "sudo apt-get install dataset-fashion-mnist"
        }
        idx {
          train-labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"
          test-labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"
        }
        class-names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        scaling { kind = linear, multiply = 0.00392156862745098 }
        validation-fraction = 0.1
      }
      """;

  private static PrepareConfig prepare(String hocon, String... settings) {
    return PrepareConfig.from(
        ConfigLayers.resolve(Optional.of(hocon), "test.conf", List.of(settings)));
  }

  // ---- required keys ------------------------------------------------------------------------

  /** Every required key, with every way of leaving it out: default, empty, blank, null. */
  static Stream<Arguments> missingRequiredValues() {
    String[][] required = {
        // key, a config that is valid except for the key, message
        {"prepare.output", "prepare.input.train = t.csv",
            "prepare.output is required: where to write the examples table (a directory)"},
        {"prepare.input.train", "prepare.output = out",
            "prepare.input.train is required: the training rows (a file or directory)"},
        {"prepare.parquet.features-column", MINIMAL,
            "prepare.parquet.features-column is required: the name of the feature column"}};
    List<Arguments> cases = new ArrayList<>();
    for (String[] r : required) {
      String key = r[0];
      String rest = r[1];
      String message = r[2];
      // The parquet column has a non-empty default, so leaving it out is valid.
      if (!key.equals("prepare.parquet.features-column")) {
        cases.add(Arguments.of(key + " left at its default", rest, List.of(), message));
      }
      cases.add(Arguments.of(key + " set empty", rest, List.of(key + "="), message));
      cases.add(Arguments.of(key + " blank", rest + "\n" + key + " = \"   \"", List.of(),
          message));
      // (input.train = null is covered by the disabled refusesNullTrainingInput below)
      if (!key.equals("prepare.input.train")) {
        cases.add(Arguments.of(key + " null", rest + "\n" + key + " = null", List.of(),
            message));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("missingRequiredValues")
  void refusesMissingRequiredValue(String description, String hocon, List<String> settings,
      String message) {
    assertThatThrownBy(() -> prepare(hocon, settings.toArray(String[]::new)))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage(message);
  }

  // ---- bad values -----------------------------------------------------------------------------

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of(List.of("prepare.format=tsv"),
            "prepare.format must be one of [idx, csv, parquet, images], got 'tsv'"),
        Arguments.of(List.of("prepare.format=IDX"),
            "prepare.format must be one of [idx, csv, parquet, images], got 'IDX'"),
        Arguments.of(List.of("prepare.mode=append"),
            "prepare.mode must be one of [error, overwrite, refresh], got 'append'"),
        Arguments.of(List.of("prepare.validation-fraction=1"),
            "prepare.validation-fraction must be in [0, 1), got 1"),
        Arguments.of(List.of("prepare.validation-fraction=-0.1"),
            "prepare.validation-fraction must be in [0, 1), got -0.1"),
        Arguments.of(List.of("prepare.validation-fraction=abc"),
            "prepare.validation-fraction must be a number, got 'abc'"),
        Arguments.of(List.of("prepare.validation-fraction=NaN"),
            "prepare.validation-fraction must be a finite number, got 'NaN'"),
        Arguments.of(List.of("prepare.labeled-fraction=0"),
            "prepare.labeled-fraction must be in (0, 1], got 0"),
        Arguments.of(List.of("prepare.labeled-fraction=1.5"),
            "prepare.labeled-fraction must be in (0, 1], got 1.5"),
        Arguments.of(List.of("prepare.max-rejected-fraction=2"),
            "prepare.max-rejected-fraction must be in [0, 1], got 2"),
        Arguments.of(List.of("prepare.max-rejected-fraction=-1"),
            "prepare.max-rejected-fraction must be in [0, 1], got -1"),
        Arguments.of(List.of("prepare.class-count=1"),
            "prepare.class-count must be 0 (inferred) or an integer from 2 to 1000000, got 1"),
        Arguments.of(List.of("prepare.class-count=-3"),
            "prepare.class-count must be 0 (inferred) or an integer from 2 to 1000000, got -3"),
        Arguments.of(List.of("prepare.class-count=1000001"),
            "prepare.class-count must be 0 (inferred) or an integer from 2 to 1000000, "
                + "got 1000001"),
        Arguments.of(List.of("prepare.class-count=three"),
            "prepare.class-count must be an integer, got 'three'"),
        Arguments.of(List.of("prepare.class-count=3", "prepare.class-names=[a, b]"),
            "prepare.class-count is 3 but prepare.class-names lists 2 names; "
                + "give one of them or make them agree"),
        Arguments.of(List.of("prepare.class-names=[a]"),
            "prepare.class-names must be empty or at least 2 names, got [a]"),
        Arguments.of(List.of("prepare.class-names=cats"),
            "prepare.class-names must be a list of strings, got 'cats'"),
        Arguments.of(List.of("prepare.csv.delimiter=ab"),
            "prepare.csv.delimiter must be a single character, got 'ab'"),
        Arguments.of(List.of("prepare.csv.delimiter="),
            "prepare.csv.delimiter must be a single character, got ''"),
        Arguments.of(List.of("prepare.csv.header=false"),
            "prepare.csv.label-column must be a 0-based column index when "
                + "prepare.csv.header = false, got 'label'"),
        Arguments.of(List.of("prepare.csv.header=false", "prepare.csv.label-column=0",
                "prepare.csv.id-column=id"),
            "prepare.csv.id-column must be a 0-based column index when "
                + "prepare.csv.header = false, got 'id'"),
        Arguments.of(List.of("prepare.csv.header=maybe"),
            "prepare.csv.header must be true or false, got 'maybe'"),
        Arguments.of(List.of("prepare.feature-shape=[0]"),
            "prepare.feature-shape must be a list of integers >= 1, got [0]"),
        Arguments.of(List.of("prepare.feature-shape=[1, 28, -28]"),
            "prepare.feature-shape must be a list of integers >= 1, got [1, 28, -28]"),
        Arguments.of(List.of("prepare.feature-shape=[\"a\"]"),
            "prepare.feature-shape must be a list of integers >= 1, got [a]"),
        Arguments.of(List.of("prepare.feature-shape=[2.5]"),
            "prepare.feature-shape must be a list of integers >= 1, got [2.5]"),
        Arguments.of(List.of("prepare.feature-shape=784"),
            "prepare.feature-shape must be a list of integers >= 1, got '784'"),
        Arguments.of(List.of("prepare.seed=abc"),
            "prepare.seed must be an integer, got 'abc'"),
        Arguments.of(List.of("prepare.scaling.kind=log"),
            "prepare.scaling.kind must be one of [none, linear, standard, min-max, channel-standard], got 'log'"),
        Arguments.of(List.of("prepare.scaling.kind=min-max", "prepare.scaling.from=ex"),
            "give prepare.scaling.kind or prepare.scaling.from, not both: from applies the "
                + "scaling another examples table recorded"),
        Arguments.of(List.of("prepare.scaling.kind=standard", "prepare.scaling.multiply=2"),
            "prepare.scaling.multiply and prepare.scaling.add apply to kind = linear only; kind "
                + "= standard fits each feature's own offset and factor"),
        Arguments.of(List.of("prepare.scaling.kind=linear", "prepare.scaling.multiply=0"),
            "prepare.scaling.multiply must be non-zero, got 0"),
        Arguments.of(List.of("prepare.scaling.multiply=x"),
            "prepare.scaling.multiply must be a number, got 'x'"),
        Arguments.of(List.of("prepare.output=[a]"),
            "prepare.output must be a string, got [a]"),
        Arguments.of(List.of("prepare.format=idx", "prepare.idx.validation-labels=v.gz"),
            "prepare.idx.validation-labels is set but prepare.input.validation is not: "
                + "labels need their images file"),
        Arguments.of(List.of("prepare.format=idx", "prepare.idx.test-labels=t.gz"),
            "prepare.idx.test-labels is set but prepare.input.test is not: "
                + "labels need their images file"),
        Arguments.of(List.of("prepare.format=images", "prepare.images.width=32"),
            "prepare.images.height must be an integer from 1 to 65536 with prepare.format = "
                + "images (every image is resized to height x width), got 0"),
        Arguments.of(List.of("prepare.format=images", "prepare.images.height=32",
            "prepare.images.width=32", "prepare.images.channels=rgba"),
            "prepare.images.channels must be one of [grayscale, rgb], got 'rgba'"),
        Arguments.of(List.of("prepare.format=images", "prepare.images.height=32",
            "prepare.images.width=32", "prepare.feature-shape=[1,32,32]",
            "prepare.images.channels=rgb"),
            "prepare.feature-shape is [1, 32, 32] but prepare.images gives channels, height and "
                + "width [3, 32, 32]; leave prepare.feature-shape empty with images"),
        Arguments.of(List.of("prepare.format=images", "prepare.images.height=32",
            "prepare.images.width=32", "prepare.images.layout=listing",
            "prepare.images.path-column="),
            "prepare.images.path-column is required: the listing's column of image paths"),
        Arguments.of(List.of("prepare.images.max-pixels=0"),
            "prepare.images.max-pixels must be a positive integer, got 0"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void refusesBadValue(List<String> settings, String message) {
    assertThatThrownBy(() -> prepare(MINIMAL, settings.toArray(String[]::new)))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage(message);
  }

  @Test
  void refusesBadValueGivenInTheFileToo() {
    assertThatThrownBy(() -> prepare(MINIMAL + "\nprepare.validation-fraction = 1.0"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("prepare.validation-fraction must be in [0, 1), got 1");
  }

  // ---- valid configs --------------------------------------------------------------------------

  @Test
  void minimalConfigTakesTheDocumentedDefaults() {
    PrepareConfig config = prepare(MINIMAL);

    assertThat(config.format()).isEqualTo(SourceFormat.CSV);
    assertThat(config.output()).isEqualTo("out");
    assertThat(config.mode()).isEqualTo(WriteMode.ERROR);
    assertThat(config.inputs()).containsExactly(Map.entry(Split.TRAIN, "train.csv"));
    assertThat(config.idxLabels()).isEmpty();
    assertThat(config.missingInputHint()).isEmpty();
    assertThat(config.csv()).isEqualTo(new CsvOptions(true, ',',
        Optional.of(new ColumnRef("label")), Optional.empty()));
    assertThat(config.parquet()).isEqualTo(new ParquetOptions("features",
        Optional.of("label"), Optional.empty()));
    assertThat(config.featureShape()).isEmpty();
    assertThat(config.classNames()).isEmpty();
    assertThat(config.classCount()).isZero();
    assertThat(config.scaling()).isEqualTo(FeatureScaling.NONE);
    assertThat(config.validationFraction()).isEqualTo(0.1);
    assertThat(config.labeledFraction()).isEqualTo(1.0);
    assertThat(config.seed()).isEqualTo(42);
    assertThat(config.maxRejectedFraction()).isEqualTo(0.01);
    assertThat(config.configDigest()).matches("sha256:[0-9a-f]{64}");
    assertThat(config.carvesValidation()).isTrue();
  }

  @Test
  void imagesTakeTheirShapeFromChannelsHeightAndWidth() {
    PrepareConfig config = prepare(MINIMAL, "prepare.format=images", "prepare.images.height=24",
        "prepare.images.width=32", "prepare.images.channels=rgb", "prepare.images.fit=pad",
        "prepare.images.resize=area", "prepare.scaling.kind=channel-standard");

    assertThat(config.images()).isEqualTo(new ImageOptions(ImageOptions.Layout.FOLDERS, "*",
        ImageOptions.Channels.RGB, 24, 32, ImageOptions.Fit.PAD, ImageOptions.Resize.AREA, 0,
        50_000_000, "path", "label"));
    assertThat(config.images().shape()).containsExactly(3, 24, 32);
    assertThat(config.scaling().kind()).isEqualTo(FeatureScaling.Kind.CHANNEL_STANDARD);
  }

  @Test
  void fashionMnistIdxConfigParsesIntoExpectedValues() {
    PrepareConfig config = prepare(FASHION_MNIST);

    assertThat(config.format()).isEqualTo(SourceFormat.IDX);
    assertThat(config.output()).isEqualTo("data/fashion-mnist/examples");
    assertThat(config.mode()).isEqualTo(WriteMode.ERROR);
    assertThat(config.inputs()).isEqualTo(Map.of(
        Split.TRAIN, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
        Split.TEST, "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"));
    assertThat(config.idxLabels()).isEqualTo(Map.of(
        Split.TRAIN, "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
        Split.TEST, "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"));
    assertThat(config.input(Split.TRAIN)).contains(
        "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
    assertThat(config.input(Split.VALIDATION)).isEmpty();
    assertThat(config.missingInputHint()).isEqualTo("sudo apt-get install dataset-fashion-mnist");
    assertThat(config.classNames()).hasSize(10).startsWith("T-shirt/top", "Trouser")
        .endsWith("Ankle boot");
    assertThat(config.classCount()).isEqualTo(10);
    assertThat(config.scaling().kind()).isEqualTo(FeatureScaling.Kind.LINEAR);
    assertThat(config.scaling().multiply()).isCloseTo(1.0 / 255, within(1e-15));
    assertThat(config.scaling().add()).isZero();
    assertThat(config.validationFraction()).isEqualTo(0.1);
    assertThat(config.featureShape()).isEmpty();
    assertThat(config.carvesValidation()).isTrue();
  }

  @Test
  void doesNotCarveValidationWhenValidationInputIsGiven() {
    PrepareConfig config = prepare(FASHION_MNIST,
        "prepare.input.validation=/data/val-images.gz",
        "prepare.idx.validation-labels=/data/val-labels.gz");

    assertThat(config.carvesValidation()).isFalse();
    assertThat(config.input(Split.VALIDATION)).contains("/data/val-images.gz");
    assertThat(config.idxLabels()).containsEntry(Split.VALIDATION, "/data/val-labels.gz");
  }

  @Test
  void doesNotCarveValidationWhenFractionIsZero() {
    assertThat(prepare(MINIMAL, "prepare.validation-fraction=0").carvesValidation()).isFalse();
  }

  @Test
  void classCountComesFromClassNamesWhenNotGiven() {
    PrepareConfig config = prepare(MINIMAL, "prepare.class-names=[cat, dog, bird]");

    assertThat(config.classCount()).isEqualTo(3);
    assertThat(config.classNames()).containsExactly("cat", "dog", "bird");
  }

  @Test
  void classCountAndClassNamesMayAgree() {
    PrepareConfig config = prepare(MINIMAL, "prepare.class-names=[cat, dog]",
        "prepare.class-count=2");

    assertThat(config.classCount()).isEqualTo(2);
  }

  @Test
  void idxLabelsAreDroppedForOtherFormats() {
    PrepareConfig config = prepare(MINIMAL, "prepare.idx.train-labels=labels.gz");

    assertThat(config.format()).isEqualTo(SourceFormat.CSV);
    assertThat(config.idxLabels()).isEmpty();
  }

  @Test
  void featureShapeFromSetIsAList() {
    assertThat(prepare(MINIMAL, "prepare.feature-shape=[1,28,28]").featureShape())
        .containsExactly(1, 28, 28);
  }

  @Test
  void csvOptionsAcceptIndexesWithoutHeaderAndEscapedTab() {
    PrepareConfig config = prepare(MINIMAL, "prepare.csv.header=false",
        "prepare.csv.label-column=0", "prepare.csv.id-column=3", "prepare.csv.delimiter=\\t");

    assertThat(config.csv().header()).isFalse();
    assertThat(config.csv().delimiter()).isEqualTo('\t');
    assertThat(config.csv().labelColumn()).contains(new ColumnRef("0"));
    assertThat(config.csv().idColumn()).contains(new ColumnRef("3"));
  }

  @Test
  void csvWithoutLabelColumn() {
    PrepareConfig config = prepare(MINIMAL, "prepare.csv.label-column=",
        "prepare.csv.delimiter=;");

    assertThat(config.csv().labelColumn()).isEmpty();
    assertThat(config.csv().delimiter()).isEqualTo(';');
  }

  @Test
  void noneScalingIgnoresMultiplyAndAdd() {
    PrepareConfig config = prepare(MINIMAL, "prepare.scaling.multiply=0",
        "prepare.scaling.add=5");

    assertThat(config.scaling()).isEqualTo(FeatureScaling.NONE);
  }

  @Test
  void linearScalingKeepsMultiplyAndAdd() {
    PrepareConfig config = prepare(MINIMAL, "prepare.scaling.kind=linear",
        "prepare.scaling.multiply=2", "prepare.scaling.add=-1");

    assertThat(config.scaling()).isEqualTo(
        new FeatureScaling(FeatureScaling.Kind.LINEAR, 2.0, -1.0));
  }

  @Test
  void configDigestIgnoresWriteMode() {
    assertThat(prepare(MINIMAL, "prepare.mode=overwrite").configDigest())
        .isEqualTo(prepare(MINIMAL).configDigest());
  }

  @Test
  void configDigestChangesWithSettingsThatChangeTheOutput() {
    String base = prepare(MINIMAL).configDigest();

    assertThat(prepare(MINIMAL + "\nprepare.seed = 43").configDigest()).isNotEqualTo(base);
    assertThat(prepare(MINIMAL + "\nprepare.labeled-fraction = 0.5").configDigest())
        .isNotEqualTo(base);
    assertThat(prepare(MINIMAL, "prepare.input.train=other.csv").configDigest())
        .isNotEqualTo(base);
  }

  @Test
  void refusesNullTrainingInput() {
    assertThatThrownBy(() -> prepare("prepare { output = out, input.train = null }"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("prepare.input.train is required: the training rows (a file or directory)");
  }

  @Test
  void configDigestIsTheSameWhetherAValueComesFromFileOrSet() {
    assertThat(prepare(MINIMAL + "\nprepare.seed = 7").configDigest())
        .isEqualTo(prepare(MINIMAL, "prepare.seed=7").configDigest());
  }

  @Test
  void acceptsTabDelimiterWrittenInHoconFile() {
    PrepareConfig config = prepare(MINIMAL + "\nprepare.csv.delimiter = \"\\t\"");

    assertThat(config.csv().delimiter()).isEqualTo('\t');
  }

  @Test
  void refusesFractionalSeed() {
    assertThatThrownBy(() -> prepare(MINIMAL, "prepare.seed=1.5"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("prepare.seed must be an integer, got 1.5");
  }

  @Test
  void refusesFractionalClassCount() {
    assertThatThrownBy(() -> prepare(MINIMAL, "prepare.class-count=2.5"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("prepare.class-count must be an integer, got 2.5");
  }
}
