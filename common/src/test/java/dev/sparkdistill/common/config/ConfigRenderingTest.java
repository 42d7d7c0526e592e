package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigRenderingTest {

  @Test
  void describeMasksSecretLookingKeysAndSortsLines() {
    Config config = ConfigFactory.parseString("s { path = z, password = x, access-key = y }");

    assertThat(ConfigRendering.describe(config, "s")).isEqualTo(
        "  s.access-key = ****\n"
            + "  s.password = ****\n"
            + "  s.path = \"z\"\n");
  }

  @Test
  void describeRendersNestedValuesConcisely() {
    Config config = ConfigFactory.parseString(
        "s { shape = [1, 28, 28], inner { n = 3, secret-token = abc } }");

    assertThat(ConfigRendering.describe(config, "s")).isEqualTo(
        "  s.inner.n = 3\n"
            + "  s.inner.secret-token = ****\n"
            + "  s.shape = [1,28,28]\n");
  }

  @Test
  void describeOfAResolvedPrepareConfigNamesEveryKey() {
    Config config = ConfigLayers.reference();

    String text = ConfigRendering.describe(config, "prepare");

    assertThat(text).contains("  prepare.seed = 42\n", "  prepare.format = \"csv\"\n",
        "  prepare.feature-shape = []\n");
    assertThat(text.lines()).hasSize(config.getConfig("prepare").entrySet().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"s.password", "s.passwd", "s.secret-key", "fs.s3a.secret.key",
      "s.access-key", "fs.s3a.access.key", "s.accesskey", "s.session-key", "s.SessionKey",
      "s.token", "s.auth-token", "s.credentials", "s.PASSWORD"})
  void treatsKeysNamingSecretsAsSecret(String key) {
    assertThat(ConfigRendering.isSecretKey(key)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"prepare.output", "prepare.input.train", "prepare.idx.train-labels",
      "prepare.seed", "s.path", "s.key", "s.access"})
  void treatsOrdinaryKeysAsNotSecret(String key) {
    assertThat(ConfigRendering.isSecretKey(key)).isFalse();
  }

  @Test
  void digestIsSha256Hex() {
    String digest = ConfigRendering.digest(ConfigFactory.parseString("s { a = 1 }"), "s");

    assertThat(digest).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void sha256MatchesKnownVector() {
    assertThat(ConfigRendering.sha256("abc")).isEqualTo(
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void digestIsStableUnderKeyOrder() {
    Config one = ConfigFactory.parseString("s { a = 1, b { c = x, d = [1, 2] } }");
    Config other = ConfigFactory.parseString("s { b { d = [1, 2], c = x }, a = 1 }");

    assertThat(ConfigRendering.digest(one, "s")).isEqualTo(ConfigRendering.digest(other, "s"));
  }

  @Test
  void digestIgnoresListedKeys() {
    Config error = ConfigFactory.parseString("s { a = 1, mode = error }");
    Config overwrite = ConfigFactory.parseString("s { a = 1, mode = overwrite }");

    assertThat(ConfigRendering.digest(error, "s", "mode"))
        .isEqualTo(ConfigRendering.digest(overwrite, "s", "mode"))
        .isEqualTo(ConfigRendering.digest(ConfigFactory.parseString("s { a = 1 }"), "s"));
    assertThat(ConfigRendering.digest(error, "s"))
        .isNotEqualTo(ConfigRendering.digest(overwrite, "s"));
  }

  @Test
  void digestDiffersWhenAValueChanges() {
    Config one = ConfigFactory.parseString("s { a = 1, b = x }");
    Config other = ConfigFactory.parseString("s { a = 2, b = x }");

    assertThat(ConfigRendering.digest(one, "s")).isNotEqualTo(ConfigRendering.digest(other, "s"));
  }

  @Test
  void digestDiffersWhenAKeyIsAdded() {
    Config one = ConfigFactory.parseString("s { a = 1 }");
    Config other = ConfigFactory.parseString("s { a = 1, b = 1 }");

    assertThat(ConfigRendering.digest(one, "s")).isNotEqualTo(ConfigRendering.digest(other, "s"));
  }

  @Test
  void digestCoversOnlyTheSection() {
    Config one = ConfigFactory.parseString("s { a = 1 }, t { b = 1 }");
    Config other = ConfigFactory.parseString("s { a = 1 }, t { b = 2 }");

    assertThat(ConfigRendering.digest(one, "s")).isEqualTo(ConfigRendering.digest(other, "s"));
  }
}
