package dev.sparkdistill.common.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.config.InvalidConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchNameTest {
  @ParameterizedTest
  @ValueSource(strings = {"2026-11-30", "0", "7", "20261130", "day-1", "b_2", "Nov30"})
  void acceptsNamesThatSparkReadsBackAsTheyAre(String name) {
    assertThat(BatchName.check("prepare.batch", name)).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"01", "1.50", "1e5", "-3", "_x", "2026-11-30 10:00", "a/b", "x y",
      "2026-02-30", "123456789012345678901"})
  void refusesNamesSparkWouldReadAsAnotherValue(String name) {
    assertThatThrownBy(() -> BatchName.check("prepare.batch", name))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("prepare.batch must be ")
        .hasMessageEndingWith(", got '" + name + "'");
  }

  @org.junit.jupiter.api.Test
  void theRunsBatchIsCheckedWhereverItIsUsed() {
    java.util.function.Function<String, String> of = setting -> BatchName.of(
        dev.sparkdistill.common.config.ConfigLayers.resolve(java.util.Optional.empty(), "",
            java.util.List.of(setting)));
    assertThat(of.apply("batch=2026-11-30")).isEqualTo("2026-11-30");
    assertThat(of.apply("batch=")).isEmpty();
    assertThatThrownBy(() -> of.apply("batch=[1,2]"))
        .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("batch ");
    assertThatThrownBy(() -> of.apply("batch=30.11.2026"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageStartingWith("batch must be a date such as 2026-11-30");
  }
}
