package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.common.train.Augmentation;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InferConfigTest {
  /** The smallest valid config: the examples, where the targets go, one teacher. */
  private static final String MINIMAL =
      "infer { input = examples, output = targets, teachers = [\"models/teacher/model.zip\"] }";

  private static InferConfig infer(String hocon, String... settings) {
    return InferConfig.from(
        ConfigLayers.resolve(Optional.of(hocon), "test.conf", List.of(settings)));
  }

  // ---- refused values -------------------------------------------------------------------------

  static Stream<Arguments> refusedValues() {
    return Stream.of(
        Arguments.of("input missing", "infer { output = targets, teachers = [t.zip] }",
            List.of(), "infer.input is required: the examples table to score"),
        Arguments.of("input blank", MINIMAL + "\ninfer.input = \"   \"", List.of(),
            "infer.input is required: the examples table to score"),
        Arguments.of("output missing", "infer { input = examples, teachers = [t.zip] }",
            List.of(), "infer.output is required: where to write the targets table (a directory)"),
        Arguments.of("teachers empty", "infer { input = examples, output = targets }",
            List.of(), "infer.teachers must be a list of one or more model files, got []"),
        Arguments.of("teachers with an empty path", MINIMAL, List.of("infer.teachers=[\"\"]"),
            "infer.teachers must be a list of one or more model files, got []"),
        Arguments.of("ensemble max", MINIMAL, List.of("infer.ensemble=max"),
            "infer.ensemble must be one of [mean-probabilities, mean-logits], got 'max'"),
        Arguments.of("form sparse", MINIMAL, List.of("infer.form=sparse"),
            "infer.form must be one of [dense, top-k], got 'sparse'"),
        Arguments.of("top-k 0", MINIMAL, List.of("infer.top-k=0"),
            "infer.top-k must be an integer >= 1, got 0"),
        Arguments.of("batch-size 0", MINIMAL, List.of("infer.batch-size=0"),
            "infer.batch-size must be an integer >= 1, got 0"),
        Arguments.of("split training", MINIMAL, List.of("infer.splits=[training]"),
            "infer.splits must be a list of train, validation, test, got [training]"),
        Arguments.of("min-confidence 1.5", MINIMAL, List.of("infer.min-confidence=1.5"),
            "infer.min-confidence must be in [0, 1], got 1.5"),
        Arguments.of("min-confidence -0.1", MINIMAL, List.of("infer.min-confidence=-0.1"),
            "infer.min-confidence must be in [0, 1], got -0.1"),
        Arguments.of("teacher input for another model", MINIMAL,
            List.of("infer.teacher-inputs=[{teacher = other.onnx}]"),
            "infer.teacher-inputs[0].teacher = 'other.onnx' is not one of the teachers "
                + "[models/teacher/model.zip]"),
        Arguments.of("teacher input twice", MINIMAL, List.of("infer.teacher-inputs=["
                + "{teacher = \"models/teacher/model.zip\"}, "
                + "{teacher = \"models/teacher/model.zip\", scale = 2}]"),
            "infer.teacher-inputs[1].teacher = 'models/teacher/model.zip' is described twice"),
        Arguments.of("teacher input layout", MINIMAL, List.of("infer.teacher-inputs=["
                + "{teacher = \"models/teacher/model.zip\", layout = nchwc}]"),
            "infer.teacher-inputs[0].layout must be one of [auto, nchw, nhwc], got 'nchwc'"),
        Arguments.of("teacher input std 0", MINIMAL, List.of("infer.teacher-inputs=["
                + "{teacher = \"models/teacher/model.zip\", std = [0.2, 0]}]"),
            "infer.teacher-inputs[0].std must be positive numbers, got [0.2, 0.0]"),
        Arguments.of("teacher input unknown key", MINIMAL, List.of("infer.teacher-inputs=["
                + "{teacher = \"models/teacher/model.zip\", means = [0.5]}]"),
            "infer.teacher-inputs[0].means is not a key of a teacher input; the keys are "
                + "teacher, layout, scale, mean and std"),
        Arguments.of("engine tensorrt", MINIMAL, List.of("infer.engine=tensorrt"),
            "infer.engine must be one of [auto, onnxruntime, nd4j], got 'tensorrt'"),
        Arguments.of("mode append", MINIMAL, List.of("infer.mode=append"),
            "infer.mode must be one of [error, overwrite, refresh], got 'append'"),
        Arguments.of("views without a transform", MINIMAL, List.of("infer.views=4"),
            "infer.views = 4 scores augmented views, but infer.augment turns no transform on "
                + "(translate, flip, cutout); set one, or views = 1"),
        Arguments.of("a transform without views", MINIMAL, List.of("infer.augment.flip=true"),
            "infer.augment applies to the views of infer.views, which is 1 (the rows as they "
                + "are); set views to 2 or more, or turn augment off"),
        Arguments.of("views in the top-k form", MINIMAL, List.of("infer.views=4",
            "infer.augment.translate=2", "infer.form=top-k"),
            "infer.views = 4 stores every view's logits densely; set infer.form = dense"),
        Arguments.of("views 0", MINIMAL, List.of("infer.views=0"),
            "infer.views must be an integer >= 1, got 0"),
        Arguments.of("keep-teacher-logits maybe", MINIMAL,
            List.of("infer.keep-teacher-logits=maybe"),
            "infer.keep-teacher-logits must be true or false, got 'maybe'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedValues")
  void refusesABadValueWithAnExactMessage(String description, String hocon,
      List<String> settings, String message) {
    assertThatThrownBy(() -> infer(hocon, settings.toArray(String[]::new)))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage(message);
  }

  // ---- valid configs --------------------------------------------------------------------------

  @Test
  void minimalConfigTakesTheDocumentedDefaults() {
    InferConfig config = infer(MINIMAL);

    assertThat(config.input()).isEqualTo("examples");
    assertThat(config.output()).isEqualTo("targets");
    assertThat(config.teachers()).containsExactly("models/teacher/model.zip");
    assertThat(config.mode()).isEqualTo(WriteMode.ERROR);
    assertThat(config.ensemble()).isEqualTo(Ensemble.Rule.MEAN_PROBABILITIES);
    assertThat(config.keepTeacherLogits()).isFalse();
    assertThat(config.form()).isEqualTo(InferConfig.Form.DENSE);
    assertThat(config.topK()).isEqualTo(5);
    assertThat(config.includeFeatures()).isFalse();
    assertThat(config.batchSize()).isEqualTo(256);
    assertThat(config.splits()).isEmpty();
    assertThat(config.minConfidence()).isZero();
    assertThat(config.engine()).isEqualTo(ScoringEngine.AUTO);
    assertThat(config.views()).isEqualTo(1);
    assertThat(config.scoresViews()).isFalse();
    assertThat(config.augment()).isEqualTo(Augmentation.NONE);
    assertThat(config.seed()).isEqualTo(42);
    assertThat(config.configDigest()).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void fullConfigParsesIntoExpectedValues() {
    InferConfig config = infer("""
        infer {
          input = "data/examples"
          output = "data/targets"
          mode = overwrite
          teachers = ["a/model.zip", "hdfs:///b/model.zip"]
          ensemble = mean-logits
          keep-teacher-logits = true
          form = top-k
          top-k = 3
          include-features = true
          batch-size = 64
          splits = [train, test]
          min-confidence = 0.6
          engine = nd4j
        }
        """);

    assertThat(config.input()).isEqualTo("data/examples");
    assertThat(config.output()).isEqualTo("data/targets");
    assertThat(config.mode()).isEqualTo(WriteMode.OVERWRITE);
    assertThat(config.teachers()).containsExactly("a/model.zip", "hdfs:///b/model.zip");
    assertThat(config.ensemble()).isEqualTo(Ensemble.Rule.MEAN_LOGITS);
    assertThat(config.keepTeacherLogits()).isTrue();
    assertThat(config.form()).isEqualTo(InferConfig.Form.TOP_K);
    assertThat(config.topK()).isEqualTo(3);
    assertThat(config.includeFeatures()).isTrue();
    assertThat(config.batchSize()).isEqualTo(64);
    assertThat(config.splits()).containsExactly(Split.TRAIN, Split.TEST);
    assertThat(config.minConfidence()).isEqualTo(0.6);
    assertThat(config.engine()).isEqualTo(ScoringEngine.ND4J);
  }

  @Test
  void viewsTakeTheirTransformsAndSeed() {
    InferConfig config = infer(MINIMAL, "infer.views=16", "infer.augment.translate=2",
        "infer.augment.flip=true", "infer.augment.cutout=8", "infer.seed=7");

    assertThat(config.scoresViews()).isTrue();
    assertThat(config.views()).isEqualTo(16);
    assertThat(config.augment()).isEqualTo(new Augmentation(2, true, 8));
    assertThat(config.seed()).isEqualTo(7);
  }

  @Test
  void boundaryValuesAreAccepted() {
    InferConfig config = infer(MINIMAL, "infer.top-k=1", "infer.batch-size=1",
        "infer.min-confidence=1", "infer.splits=[validation]");

    assertThat(config.topK()).isEqualTo(1);
    assertThat(config.batchSize()).isEqualTo(1);
    assertThat(config.minConfidence()).isEqualTo(1.0);
    assertThat(config.splits()).containsExactly(Split.VALIDATION);
  }

  // ---- digest ---------------------------------------------------------------------------------

  @Test
  void configDigestIgnoresModeAndBatchSize() {
    String base = infer(MINIMAL).configDigest();

    assertThat(infer(MINIMAL, "infer.mode=overwrite").configDigest()).isEqualTo(base);
    assertThat(infer(MINIMAL, "infer.batch-size=7").configDigest()).isEqualTo(base);
  }

  @Test
  void configDigestChangesWithSettingsThatChangeTheTargets() {
    String base = infer(MINIMAL).configDigest();

    assertThat(infer(MINIMAL, "infer.ensemble=mean-logits").configDigest()).isNotEqualTo(base);
    assertThat(infer(MINIMAL, "infer.form=top-k").configDigest()).isNotEqualTo(base);
    assertThat(infer(MINIMAL, "infer.min-confidence=0.5").configDigest()).isNotEqualTo(base);
    assertThat(infer(MINIMAL, "infer.teachers=[other.zip]").configDigest()).isNotEqualTo(base);
    assertThat(infer(MINIMAL, "infer.splits=[test]").configDigest()).isNotEqualTo(base);
  }

  @Test
  void describesATeachersOwnInputAndLeavesTheOthersAsStored() {
    InferConfig config = infer(MINIMAL, "infer.teachers=[a.onnx, b.onnx]",
        "infer.teacher-inputs=[{teacher = b.onnx, layout = nhwc, scale = 0.5, "
            + "mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]}]");

    assertThat(config.teacherInputs()).containsExactly(new ModelInput("b.onnx",
        ModelInput.Layout.NHWC, 0.5, List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225)));
    assertThat(ModelInput.of(config.teacherInputs(), "a.onnx")).isEqualTo(new ModelInput(
        "a.onnx", ModelInput.Layout.AUTO, 1.0, List.of(), List.of()));
    assertThat(ModelInput.of(config.teacherInputs(), "a.onnx").keepsValues()).isTrue();
    assertThat(ModelInput.of(config.teacherInputs(), "b.onnx").keepsValues()).isFalse();
  }
}
