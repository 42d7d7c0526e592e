package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLayersTest {

  private static Config resolve(String fileText, String... settings) {
    return ConfigLayers.resolve(Optional.ofNullable(fileText), "test.conf", List.of(settings));
  }

  @Test
  void referenceDefaultsApplyWhenNothingIsGiven() {
    Config config = resolve(null);

    assertThat(config.getLong("prepare.seed")).isEqualTo(42);
    assertThat(config.getString("prepare.format")).isEqualTo("csv");
    assertThat(config.getDouble("prepare.validation-fraction")).isEqualTo(0.1);
    assertThat(config.getIntList("prepare.feature-shape")).isEmpty();
  }

  @Test
  void fileOverridesReferenceDefaults() {
    Config config = resolve("prepare { seed = 7, format = idx }");

    assertThat(config.getLong("prepare.seed")).isEqualTo(7);
    assertThat(config.getString("prepare.format")).isEqualTo("idx");
    // Keys the file does not mention keep their defaults.
    assertThat(config.getString("prepare.mode")).isEqualTo("error");
  }

  @Test
  void setOverridesFile() {
    Config config = resolve("prepare { seed = 7, format = idx }", "prepare.seed=9");

    assertThat(config.getLong("prepare.seed")).isEqualTo(9);
    assertThat(config.getString("prepare.format")).isEqualTo("idx");
  }

  @Test
  void laterSetWinsOverEarlierSet() {
    Config config = resolve(null, "prepare.seed=1", "prepare.seed=2", "prepare.output=a",
        "prepare.output=b");

    assertThat(config.getLong("prepare.seed")).isEqualTo(2);
    assertThat(config.getString("prepare.output")).isEqualTo("b");
  }

  @Test
  void setOfABracketedValueIsParsedAsAList() {
    Config config = resolve(null, "prepare.feature-shape=[1,28,28]");

    assertThat(config.getIntList("prepare.feature-shape")).containsExactly(1, 28, 28);
  }

  @Test
  void setOfAListOfStringsIsParsedAsAList() {
    Config config = resolve(null, "prepare.class-names=[cat, \"dog\"]");

    assertThat(config.getStringList("prepare.class-names")).containsExactly("cat", "dog");
  }

  @Test
  void setValueKeepsDoubleSlashesOfUris() {
    Config config = resolve(null, "prepare.output=s3a://bucket/x",
        "prepare.input.train=hdfs://nn:8020/data/train.csv");

    assertThat(config.getString("prepare.output")).isEqualTo("s3a://bucket/x");
    assertThat(config.getString("prepare.input.train")).isEqualTo("hdfs://nn:8020/data/train.csv");
  }

  @Test
  void setTrimsKeyAndValueAndKeepsLaterEqualsSigns() {
    Config config = resolve(null, " prepare.input.missing-hint = a=b ");

    assertThat(config.getString("prepare.input.missing-hint")).isEqualTo("a=b");
  }

  @Test
  void setOfAnEmptyValueGivesAnEmptyString() {
    Config config = resolve("prepare.output = somewhere", "prepare.output=");

    assertThat(config.getString("prepare.output")).isEmpty();
  }

  @Test
  void refusesUnknownKeyFromFileWithSuggestion() {
    assertThatThrownBy(() -> resolve("prepare.outptu = x"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("unknown configuration key 'prepare.outptu' (from test.conf: 1); "
            + "did you mean 'prepare.output'?");
  }

  @Test
  void refusesUnknownKeyFromSetWithSuggestion() {
    assertThatThrownBy(() -> resolve(null, "prepare.validaton-fraction=0.2"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("unknown configuration key 'prepare.validaton-fraction' "
            + "(from --set prepare.validaton-fraction); "
            + "did you mean 'prepare.validation-fraction'?");
  }

  @Test
  void refusesUnknownNestedKeyWithSuggestion() {
    assertThatThrownBy(() -> resolve("prepare { csv { delimeter = \";\" } }"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("unknown configuration key 'prepare.csv.delimeter' (from test.conf: 1); "
            + "did you mean 'prepare.csv.delimiter'?");
  }

  @Test
  void refusesUnknownKeyWithoutSuggestionWhenNothingIsClose() {
    assertThatThrownBy(() -> resolve(null, "zzz=x"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("unknown configuration key 'zzz' (from --set zzz)");
  }

  @ParameterizedTest(name = "--set ''{0}''")
  @CsvSource(delimiter = '|', value = {
      "prepare.output",
      "=value",
      "''"})
  void refusesSetWithoutKeyOrEquals(String setting) {
    assertThatThrownBy(() -> resolve(null, setting))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("--set expects key=value, got '" + setting + "'");
  }

  @Test
  void refusesSetOfABrokenList() {
    assertThatThrownBy(() -> resolve(null, "prepare.feature-shape=[1,"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("--set prepare.feature-shape has a value that is not a valid HOCON list "
            + "or object: [1,");
  }

  @Test
  void refusesInvalidHoconFileNamingIt() {
    assertThatThrownBy(() -> resolve("prepare { output = "))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("config file test.conf is not valid HOCON: test.conf: 1: "
            + "Expecting a value but got wrong token: end of file");
  }

  @Test
  void fileSubstitutionsAreResolved() {
    Config config = resolve("prepare.input.train = \"s3a://b\"\n"
        + "prepare.output = ${prepare.input.train}\"/out\"");

    assertThat(config.getString("prepare.output")).isEqualTo("s3a://b/out");
  }

  @Test
  void editDistanceCountsInsertionsDeletionsAndSubstitutions() {
    assertThat(ConfigLayers.editDistance("output", "output")).isZero();
    assertThat(ConfigLayers.editDistance("outptu", "output")).isEqualTo(2);
    assertThat(ConfigLayers.editDistance("", "abc")).isEqualTo(3);
    assertThat(ConfigLayers.editDistance("kitten", "sitting")).isEqualTo(3);
  }

  @Test
  void refusesUnknownKeySetToNull() {
    assertThatThrownBy(() -> resolve("prepare.outptu = null"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessage("unknown configuration key 'prepare.outptu' (from test.conf: 1); "
            + "did you mean 'prepare.output'?");
  }

  @Test
  void refusesMalformedSetKeyAsInvalidConfig() {
    assertThatThrownBy(() -> resolve(null, "prepare..output=x"))
        .isInstanceOf(InvalidConfigException.class);
  }
}
