package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void showsAValueOnOneLineWhateverItHolds() {
    assertThat(Settings.show("!\n!")).isEqualTo("'!\\n!'");
    assertThat(Settings.show("a\r\tb\u0000")).isEqualTo("'a\\r\\tb\\u0000'");
    assertThat(Settings.show(2.0)).isEqualTo("2");
    assertThat(Settings.show(java.util.List.of("x\ny"))).isEqualTo("[x\\ny]");
  }
}
