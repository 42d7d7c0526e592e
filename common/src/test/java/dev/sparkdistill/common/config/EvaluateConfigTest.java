package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EvaluateConfigTest {
  private static EvaluateConfig evaluate(String... settings) {
    List<String> all = new ArrayList<>(List.of("evaluate.input=data/examples",
        "evaluate.output=data/report"));
    all.addAll(List.of(settings));
    return EvaluateConfig.from(ConfigLayers.resolve(Optional.empty(), "", all));
  }

  @Test
  void describesTheTeachersOwnInputAsInferDoes() {
    EvaluateConfig config = evaluate("evaluate.teacher=keras.onnx",
        "evaluate.models=[\"student=s.zip\"]",
        "evaluate.teacher-inputs=[{teacher = keras.onnx, layout = nhwc, scale = 0.5, "
            + "mean = [0.5], std = [0.25]}]");

    assertThat(config.teacherInputs()).containsExactly(new ModelInput("keras.onnx",
        ModelInput.Layout.NHWC, 0.5, List.of(0.5), List.of(0.25)));
    assertThat(evaluate("evaluate.teacher=keras.onnx").teacherInputs()).isEmpty();
  }

  @Test
  void refusesAnInputForAModelThatIsNotTheTeacher() {
    assertThatThrownBy(() -> evaluate("evaluate.teacher=keras.onnx",
        "evaluate.models=[\"student=s.zip\"]", "evaluate.teacher-inputs=[{teacher = s.zip}]"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("evaluate.teacher-inputs[0].teacher = 's.zip' is not one of the teachers "
            + "[keras.onnx]");
    assertThatThrownBy(() -> evaluate("evaluate.models=[\"student=s.zip\"]",
        "evaluate.teacher-inputs=[{teacher = s.zip}]"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("evaluate.teacher-inputs[0].teacher = 's.zip' is not one of the teachers "
            + "[]");
  }
}
