package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunConfigTest {
  private static RunConfig parse(String text) {
    return RunConfig.from(ConfigFactory.parseString(text));
  }

  @Test
  void readsStepsAsObjectsWithTheirOverridesAndMode() {
    RunConfig config = parse("run.steps = [\n"
        + "  { job = prepare, config = conf/a.conf }\n"
        + "  { job = train, config = \"s3a://b/t.conf\", mode = overwrite,\n"
        + "    set { train.epochs = 5, train.model.hidden = [16, 8], train.input = \"x y\" } }\n"
        + "]");
    assertThat(config.steps()).containsExactly(
        new RunConfig.Step("prepare", "conf/a.conf", List.of(), Optional.empty()),
        new RunConfig.Step("train", "s3a://b/t.conf", List.of("train.epochs=5",
            "train.input=x y", "train.model.hidden=[16,8]"),
            Optional.of(WriteMode.OVERWRITE)));
    assertThat(config.deprecations()).isEmpty();
    assertThat(config.steps().get(0).settingsWithMode()).containsExactly("prepare.mode=refresh");
    assertThat(config.steps().get(1).settingsWithMode()).endsWith("train.mode=overwrite");
    assertThat(config.steps().get(1).describe()).isEqualTo("train --config s3a://b/t.conf "
        + "--set train.epochs=5 --set train.input=x y --set train.model.hidden=[16,8] "
        + "--mode overwrite");
  }

  @Test
  void stillReadsTheCommandLineFormAndSaysHowToWriteIt() {
    RunConfig config = parse("run.steps = [\"train --config conf/s.conf --set train.alpha=0 "
        + "--set 'train.model.hidden=[4]' --resume --mode refresh\"]");
    assertThat(config.steps()).containsExactly(new RunConfig.Step("train", "conf/s.conf",
        List.of("train.alpha=0", "train.model.hidden=[4]", "train.resume=true"),
        Optional.of(WriteMode.REFRESH)));
    assertThat(config.deprecations()).containsExactly("run.steps[0] is a command line; write it "
        + "as { job = train, config = \"conf/s.conf\", set { train.alpha = 0, "
        + "train.model.hidden = [4], train.resume = true }, mode = refresh } (the command-line "
        + "form will be removed in a later release)");
  }

  @Test
  void refusesEachMalformedStepNamingIt() {
    assertThatThrownBy(() -> parse("run.steps = []"))
        .hasMessageStartingWith("run.steps is required");
    assertThatThrownBy(() -> parse("run.steps = [{ job = trian }]"))
        .hasMessage("run.steps[0].job must be one of [prepare, train, infer, evaluate, sweep, "
            + "predict], got 'trian'");
    assertThatThrownBy(() -> parse("run.steps = [{ job = train, confg = a.conf }]"))
        .hasMessage("run.steps[0].confg is not a step field; a step has job, config, set and "
            + "mode");
    assertThatThrownBy(() -> parse("run.steps = [{ job = train }, { job = infer, mode = skip }]"))
        .hasMessage("run.steps[1].mode must be one of error, overwrite, refresh, got 'skip'");
    assertThatThrownBy(() -> parse("run.steps = [{ job = train, set = 3 }]"))
        .hasMessage("run.steps[0].set must be an object of keys, e.g. { train.epochs = 5 }, "
            + "got 3");
    assertThatThrownBy(() -> parse("run.steps = [\"train --epochs 3\"]"))
        .hasMessage("run.steps[0] = \"train --epochs 3\": '--epochs' is not one of --config "
            + "FILE, --set KEY=VALUE, --mode MODE, --resume");
    assertThatThrownBy(() -> parse("run.steps = [7]"))
        .hasMessage("run.steps[0] must be a step such as { job = train, config = conf/x.conf }, "
            + "got 7");
  }
}
