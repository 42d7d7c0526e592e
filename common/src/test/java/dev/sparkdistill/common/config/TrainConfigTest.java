package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.train.Augmentation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;

class TrainConfigTest {
  /** The smallest valid config: the table to train on and where the model goes. */
  private static final String MINIMAL = "train { input = examples, output = model }";

  private static TrainConfig train(String hocon, String... settings) {
    return TrainConfig.from(
        ConfigLayers.resolve(Optional.of(hocon), "test.conf", List.of(settings)));
  }

  // ---- required keys ------------------------------------------------------------------------

  /** Every required key, with every way of leaving it out: default, empty, blank, null. */
  static Stream<Arguments> missingRequiredValues() {
    String[][] required = {
        // key, a config that is valid except for the key, message
        {"train.input", "train.output = model",
            "train.input is required: the examples or targets table to train on"},
        {"train.output", "train.input = examples",
            "train.output is required: where to write the model (a directory)"}};
    List<Arguments> cases = new ArrayList<>();
    for (String[] r : required) {
      String key = r[0];
      String rest = r[1];
      String message = r[2];
      cases.add(Arguments.of(key + " left at its default", rest, List.of(), message));
      cases.add(Arguments.of(key + " set empty", rest, List.of(key + "="), message));
      cases.add(Arguments.of(key + " blank", rest + "\n" + key + " = \"   \"", List.of(),
          message));
      cases.add(Arguments.of(key + " null", rest + "\n" + key + " = null", List.of(), message));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("missingRequiredValues")
  void refusesMissingRequiredValue(String description, String hocon, List<String> settings,
      String message) {
    assertThatThrownBy(() -> train(hocon, settings.toArray(String[]::new)))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage(message);
  }

  // ---- bad values -----------------------------------------------------------------------------

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of(List.of("train.alpha=-0.1"), "train.alpha must be in [0, 1], got -0.1"),
        Arguments.of(List.of("train.alpha=1.5"), "train.alpha must be in [0, 1], got 1.5"),
        Arguments.of(List.of("train.alpha=half"), "train.alpha must be a number, got 'half'"),
        Arguments.of(List.of("train.temperature=0"), "train.temperature must be > 0, got 0"),
        Arguments.of(List.of("train.temperature=-1"), "train.temperature must be > 0, got -1"),
        Arguments.of(List.of("train.temperature=NaN"),
            "train.temperature must be a finite number, got 'NaN'"),
        Arguments.of(List.of("train.unlabeled-weight=-1"),
            "train.unlabeled-weight must be >= 0, got -1"),
        Arguments.of(List.of("train.class-weights=[1, -2]"),
            "train.class-weights must be a list of finite numbers >= 0, got [1.0, -2.0]"),
        Arguments.of(List.of("train.class-weights=heavy"),
            "train.class-weights must be a list of numbers, got 'heavy'"),
        Arguments.of(List.of("train.epochs=0"), "train.epochs must be an integer >= 1, got 0"),
        Arguments.of(List.of("train.seed=1.5"), "train.seed must be an integer, got 1.5"),
        Arguments.of(List.of("train.early-stopping-patience=-1"),
            "train.early-stopping-patience must be an integer >= 0, got -1"),
        Arguments.of(List.of("train.early-stopping-min-delta=-0.1"),
            "train.early-stopping-min-delta must be >= 0, got -0.1"),
        Arguments.of(List.of("train.updater.kind=rmsprop"),
            "train.updater.kind must be one of [adam, nesterovs, sgd], got 'rmsprop'"),
        Arguments.of(List.of("train.updater.learning-rate=0"),
            "train.updater.learning-rate must be > 0, got 0"),
        Arguments.of(List.of("train.updater.decay-per-epoch=0"),
            "train.updater.decay-per-epoch must be in (0, 1], got 0"),
        Arguments.of(List.of("train.updater.decay-per-epoch=1.5"),
            "train.updater.decay-per-epoch must be in (0, 1], got 1.5"),
        Arguments.of(List.of("train.updater.schedule=linear"),
            "train.updater.schedule must be one of [exponential, cosine, step], got 'linear'"),
        Arguments.of(List.of("train.updater.schedule=cosine", "train.updater.decay-per-epoch=0.9"),
            "train.updater.decay-per-epoch = 0.9 applies to train.updater.schedule = "
                + "exponential only, but the schedule is cosine; leave it at 1.0"),
        Arguments.of(List.of("train.updater.step-factor=0"),
            "train.updater.step-factor must be in (0, 1], got 0"),
        Arguments.of(List.of("train.updater.step-epochs=0"),
            "train.updater.step-epochs must be an integer >= 1, got 0"),
        Arguments.of(List.of("train.updater.warmup-epochs=11"),
            "train.updater.warmup-epochs must be from 0 to train.epochs (10), got 11"),
        Arguments.of(List.of("train.updater.weight-decay=-0.01"),
            "train.updater.weight-decay must be in [0, 1), got -0.01"),
        Arguments.of(List.of("train.label-smoothing=1"),
            "train.label-smoothing must be in [0, 1), got 1"),
        Arguments.of(List.of("train.alpha=1", "train.label-smoothing=0.1"),
            "train.label-smoothing = 0.1 smooths the hard-label term, which train.alpha = 1 "
                + "leaves out; set it to 0 or lower alpha"),
        Arguments.of(List.of("train.augment.translate=-1"),
            "train.augment.translate must be an integer >= 0, got -1"),
        Arguments.of(List.of("train.augment.flip=sometimes"),
            "train.augment.flip must be true or false, got 'sometimes'"),
        Arguments.of(List.of("train.model.batch-norm=true"),
            "train.model.batch-norm = true needs train.model.kind = cnn (it acts on "
                + "convolution outputs), but the kind is mlp"),
        Arguments.of(List.of("train.model.global-pooling=true"),
            "train.model.global-pooling = true needs train.model.kind = cnn (it acts on "
                + "convolution outputs), but the kind is mlp"),
        Arguments.of(List.of("train.model.kind=rnn"),
            "train.model.kind must be one of [mlp, cnn], got 'rnn'"),
        Arguments.of(List.of("train.model.activation=softmax"),
            "train.model.activation must be one of "
                + "[relu, leakyrelu, tanh, sigmoid, elu, gelu, swish], got 'softmax'"),
        Arguments.of(List.of("train.model.weight-init=zero"),
            "train.model.weight-init must be one of [xavier, relu, uniform], got 'zero'"),
        Arguments.of(List.of("train.model.dropout=1"),
            "train.model.dropout must be in [0, 1), got 1"),
        Arguments.of(List.of("train.model.dropout=-0.5"),
            "train.model.dropout must be in [0, 1), got -0.5"),
        Arguments.of(List.of("train.model.hidden=[0]"),
            "train.model.hidden must be a list of integers >= 1, got [0]"),
        Arguments.of(List.of("train.model.hidden=[16, 2.5]"),
            "train.model.hidden must be a list of integers >= 1, got [16, 2.5]"),
        Arguments.of(List.of("train.model.kind=cnn", "train.model.conv-channels=[]"),
            "train.model.conv-channels must list at least one block "
                + "when train.model.kind = cnn"),
        Arguments.of(List.of("train.model.conv-channels=[0]"),
            "train.model.conv-channels must be a list of integers >= 1, got [0]"),
        Arguments.of(List.of("train.model.kernel-size=0"),
            "train.model.kernel-size must be an integer >= 1, got 0"),
        Arguments.of(List.of("train.model.pool-size=0"),
            "train.model.pool-size must be an integer >= 1, got 0"),
        Arguments.of(List.of("train.spark.engine=horovod"),
            "train.spark.engine must be one of [barrier, dl4j], got 'horovod'"),
        Arguments.of(List.of("train.spark.workers=-1"),
            "train.spark.workers must be an integer >= 0, got -1"),
        Arguments.of(List.of("train.spark.batch-size-per-worker=0"),
            "train.spark.batch-size-per-worker must be an integer >= 1, got 0"),
        Arguments.of(List.of("train.spark.averaging-frequency=0"),
            "train.spark.averaging-frequency must be an integer >= 1, got 0"),
        Arguments.of(List.of("train.spark.warmup-epochs=-1"),
            "train.spark.warmup-epochs must be >= 0, got -1"),
        Arguments.of(List.of("train.spark.prefetch-batches=-1"),
            "train.spark.prefetch-batches must be an integer >= 0, got -1"),
        Arguments.of(List.of("train.mode=append"),
            "train.mode must be one of [error, overwrite, refresh], got 'append'"),
        Arguments.of(List.of("train.resume=maybe"),
            "train.resume must be true or false, got 'maybe'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void refusesBadValue(List<String> settings, String message) {
    assertThatThrownBy(() -> train(MINIMAL, settings.toArray(String[]::new)))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage(message);
  }

  @Test
  void refusesIntegerAboveIntRangeForScalars() {
    assertThatThrownBy(() -> train(MINIMAL, "train.epochs=3000000000"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.epochs must be an integer >= 1, got 3000000000");
  }

  @Test
  void refusesListIntegerAboveIntRange() {
    assertThatThrownBy(() -> train(MINIMAL, "train.model.hidden=[3000000000]"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.model.hidden must be a list of integers >= 1, got [3000000000]");
  }

  @Test
  void refusesBadValueGivenInTheFileToo() {
    assertThatThrownBy(() -> train(MINIMAL + "\ntrain.alpha = 1.5"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.alpha must be in [0, 1], got 1.5");
  }

  @Test
  void refusesUnknownKeyWithNearestKnownKey() {
    assertThatThrownBy(() -> train(MINIMAL, "train.temprature=2"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("unknown configuration key 'train.temprature' (from --set train.temprature)"
            + "; did you mean 'train.temperature'?");
  }

  // ---- valid configs --------------------------------------------------------------------------

  @Test
  void minimalConfigTakesTheDocumentedDefaults() {
    TrainConfig config = train(MINIMAL);

    assertThat(config.input()).isEqualTo("examples");
    assertThat(config.output()).isEqualTo("model");
    assertThat(config.mode()).isEqualTo(WriteMode.ERROR);
    assertThat(config.resume()).isFalse();
    assertThat(config.alpha()).isEqualTo(0.5);
    assertThat(config.temperature()).isEqualTo(4.0);
    assertThat(config.unlabeledWeight()).isEqualTo(1.0);
    assertThat(config.classWeights()).isEmpty();
    assertThat(config.labelSmoothing()).isZero();
    assertThat(config.augment()).isEqualTo(Augmentation.NONE);
    assertThat(config.epochs()).isEqualTo(10);
    assertThat(config.seed()).isEqualTo(42L);
    assertThat(config.earlyStoppingPatience()).isZero();
    assertThat(config.earlyStoppingMinDelta()).isZero();
    assertThat(config.updater()).isEqualTo(new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM,
        0.001, TrainConfig.Schedule.EXPONENTIAL, 1.0, 10, 0.1, 0, 0, 10));
    assertThat(config.model()).isEqualTo(new ModelSpec(ModelSpec.Kind.MLP, List.of(256, 128),
        Activation.RELU, 0.0, WeightInit.RELU, List.of(32, 64), 3, 2, ""));
    assertThat(config.engine()).isEqualTo(TrainConfig.Engine.BARRIER);
    assertThat(config.workers()).isZero();
    assertThat(config.batchSizePerWorker()).isEqualTo(64);
    assertThat(config.averagingFrequency()).isEqualTo(5);
    assertThat(config.learningRateScaling()).isEqualTo(TrainConfig.LearningRateScaling.LINEAR);
    assertThat(config.warmupEpochs()).isEqualTo(1.0);
    assertThat(config.prefetchBatches()).isEqualTo(2);
    assertThat(config.exportDirectory()).isEmpty();
    assertThat(config.configDigest()).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void augmentationMustFitTheInputsImages() {
    TrainConfig config = train(MINIMAL, "train.augment.translate=2", "train.augment.cutout=8");
    config.checkAugmentationFits(List.of(1, 28, 28));
    train(MINIMAL).checkAugmentationFits(List.of(784));

    assertThatThrownBy(() -> config.checkAugmentationFits(List.of(784)))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.augment needs image-shaped features [channels, height, width], but "
            + "the input's feature shape is [784]");
    assertThatThrownBy(() -> config.checkAugmentationFits(List.of(3, 2, 8)))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.augment.translate (2) must be below and train.augment.cutout (8) at "
            + "most the image's smaller side, 2 (feature shape [3, 2, 8])");
  }

  @Test
  void learningRateScalingGivesTheFactorForTheWorkers() {
    assertThat(TrainConfig.LearningRateScaling.LINEAR.factor(4)).isEqualTo(4.0);
    assertThat(TrainConfig.LearningRateScaling.SQRT.factor(4)).isEqualTo(2.0);
    assertThat(TrainConfig.LearningRateScaling.NONE.factor(4)).isEqualTo(1.0);
  }

  @Test
  void fullConfigParsesIntoExpectedValues() {
    TrainConfig config = train("""
        train {
          input = "data/targets"
          output = "models/student"
          mode = overwrite
          resume = true
          alpha = 0.9
          temperature = 2
          unlabeled-weight = 0.5
          class-weights = [1, 2.5, 0]
          epochs = 3
          seed = 7
          early-stopping-patience = 2
          early-stopping-min-delta = 0.001
          label-smoothing = 0.1
          augment { translate = 2, flip = true, cutout = 8 }
          updater {
            kind = nesterovs, learning-rate = 0.1, schedule = step, step-epochs = 2
            step-factor = 0.5, warmup-epochs = 0.5, weight-decay = 0.05
          }
          model {
            kind = cnn
            hidden = [64]
            activation = leakyrelu
            dropout = 0.25
            weight-init = xavier
            conv-channels = [8]
            kernel-size = 5
            pool-size = 1
            batch-norm = true
            global-pooling = true
            init-from = "models/teacher/model.zip"
          }
          spark {
            engine = dl4j
            workers = 4
            batch-size-per-worker = 32
            averaging-frequency = 10
            prefetch-batches = 0
            export-directory = "hdfs:///tmp/export"
          }
        }
        """);

    assertThat(config.input()).isEqualTo("data/targets");
    assertThat(config.output()).isEqualTo("models/student");
    assertThat(config.mode()).isEqualTo(WriteMode.OVERWRITE);
    assertThat(config.resume()).isTrue();
    assertThat(config.alpha()).isEqualTo(0.9);
    assertThat(config.temperature()).isEqualTo(2.0);
    assertThat(config.unlabeledWeight()).isEqualTo(0.5);
    assertThat(config.classWeights()).containsExactly(1.0, 2.5, 0.0);
    assertThat(config.epochs()).isEqualTo(3);
    assertThat(config.seed()).isEqualTo(7L);
    assertThat(config.earlyStoppingPatience()).isEqualTo(2);
    assertThat(config.earlyStoppingMinDelta()).isEqualTo(0.001);
    assertThat(config.labelSmoothing()).isEqualTo(0.1);
    assertThat(config.augment()).isEqualTo(new Augmentation(2, true, 8));
    assertThat(config.loss()).isEqualTo(new DistillationLoss(0.9, 2, 0.1));
    assertThat(config.updater()).isEqualTo(new TrainConfig.Updater(
        TrainConfig.UpdaterKind.NESTEROVS, 0.1, TrainConfig.Schedule.STEP, 1.0, 2, 0.5, 0.5, 0.05,
        3));
    assertThat(config.model()).isEqualTo(new ModelSpec(ModelSpec.Kind.CNN, List.of(64),
        Activation.LEAKYRELU, 0.25, WeightInit.XAVIER, List.of(8), 5, 1, true, true,
        "models/teacher/model.zip"));
    assertThat(config.engine()).isEqualTo(TrainConfig.Engine.DL4J);
    assertThat(config.workers()).isEqualTo(4);
    assertThat(config.batchSizePerWorker()).isEqualTo(32);
    assertThat(config.averagingFrequency()).isEqualTo(10);
    assertThat(config.prefetchBatches()).isZero();
    assertThat(config.exportDirectory()).isEqualTo("hdfs:///tmp/export");
  }

  @Test
  void boundaryValuesAreAccepted() {
    TrainConfig config = train(MINIMAL, "train.alpha=0", "train.unlabeled-weight=0",
        "train.updater.decay-per-epoch=1", "train.early-stopping-min-delta=0",
        "train.model.hidden=[]", "train.epochs=1");

    assertThat(config.alpha()).isZero();
    assertThat(config.unlabeledWeight()).isZero();
    assertThat(config.updater().decayPerEpoch()).isEqualTo(1.0);
    assertThat(config.model().hidden()).isEmpty();
    assertThat(train(MINIMAL, "train.alpha=1").alpha()).isEqualTo(1.0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"relu", "leakyrelu", "tanh", "sigmoid", "elu", "gelu", "swish"})
  void everyOfferedActivationParses(String spelling) {
    assertThat(train(MINIMAL, "train.model.activation=" + spelling).model().activation())
        .isEqualTo(Activation.valueOf(spelling.toUpperCase(java.util.Locale.ROOT)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"xavier", "relu", "uniform"})
  void everyOfferedWeightInitParses(String spelling) {
    assertThat(train(MINIMAL, "train.model.weight-init=" + spelling).model().weightInit())
        .isEqualTo(WeightInit.valueOf(spelling.toUpperCase(java.util.Locale.ROOT)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"adam", "nesterovs", "sgd"})
  void everyUpdaterKindParses(String spelling) {
    assertThat(Settings.spelling(
        train(MINIMAL, "train.updater.kind=" + spelling).updater().kind())).isEqualTo(spelling);
  }

  // ---- class weights --------------------------------------------------------------------------

  @Test
  void classWeightsAreAllOneWhenNoneAreGiven() {
    assertThat(train(MINIMAL).classWeightsFor(4)).containsExactly(1f, 1f, 1f, 1f);
  }

  @Test
  void classWeightsAreTakenInLabelOrder() {
    assertThat(train(MINIMAL, "train.class-weights=[0.5, 2, 0]").classWeightsFor(3))
        .containsExactly(0.5f, 2f, 0f);
  }

  @Test
  void classWeightsOfTheWrongLengthAreRefused() {
    TrainConfig config = train(MINIMAL, "train.class-weights=[1, 2]");

    assertThatThrownBy(() -> config.classWeightsFor(3))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("train.class-weights lists 2 weights but the input has 3 classes");
  }

  @Test
  void classWeightsForReturnsAFreshArray() {
    TrainConfig config = train(MINIMAL);
    config.classWeightsFor(2)[0] = 9f;

    assertThat(config.classWeightsFor(2)).containsExactly(1f, 1f);
  }

  // ---- digest ---------------------------------------------------------------------------------

  @Test
  void configDigestIgnoresSettingsThatDoNotChangeTheModel() {
    String base = train(MINIMAL).configDigest();

    assertThat(train(MINIMAL, "train.mode=overwrite").configDigest()).isEqualTo(base);
    assertThat(train(MINIMAL, "train.resume=true").configDigest()).isEqualTo(base);
    assertThat(train(MINIMAL, "train.spark.export-directory=/tmp/x").configDigest())
        .isEqualTo(base);
    assertThat(train(MINIMAL, "train.spark.averaging-port=7100").configDigest())
        .isEqualTo(base);
  }

  @Test
  void configDigestChangesWithSettingsThatChangeTheModel() {
    String base = train(MINIMAL).configDigest();

    assertThat(train(MINIMAL, "train.alpha=0.7").configDigest()).isNotEqualTo(base);
    // The number of averaging workers changes the averaged model.
    assertThat(train(MINIMAL, "train.spark.workers=8").configDigest()).isNotEqualTo(base);
    assertThat(train(MINIMAL, "train.temperature=2").configDigest()).isNotEqualTo(base);
    assertThat(train(MINIMAL, "train.model.hidden=[64]").configDigest()).isNotEqualTo(base);
    assertThat(train(MINIMAL, "train.input=other").configDigest()).isNotEqualTo(base);
  }

  @Test
  void configDigestIsTheSameWhetherAValueComesFromFileOrSet() {
    assertThat(train(MINIMAL + "\ntrain.alpha = 0.7").configDigest())
        .isEqualTo(train(MINIMAL, "train.alpha=0.7").configDigest());
  }
}
