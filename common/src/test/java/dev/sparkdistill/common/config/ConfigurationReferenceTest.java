package dev.sparkdistill.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} against {@code distill-reference.conf}. When a key changes,
 * regenerate the page's tables with
 * {@code mvn -q -pl common test -Dtest=ConfigurationReferenceTest -Ddistill.update-docs=true}.
 */
class ConfigurationReferenceTest {
  private static final Path PAGE = Path.of("..", "docs", "configuration.md");
  private static final List<String> SECTIONS =
      List.of("batch", "prepare", "train", "infer", "evaluate", "predict", "sweep", "run");

  @Test
  void theConfigurationPageShowsEveryKeyOfTheReferenceAsItIs() throws IOException {
    String page = Files.readString(PAGE);
    String generated = ConfigurationReference.regenerate(page);
    if (Boolean.getBoolean("distill.update-docs")) {
      Files.writeString(PAGE, generated);
      page = generated;
    }

    assertThat(page).as("docs/configuration.md is out of date with distill-reference.conf; "
        + "regenerate it: mvn -q -pl common test -Dtest=ConfigurationReferenceTest "
        + "-Ddistill.update-docs=true").isEqualTo(generated);
    for (String section : SECTIONS) {
      assertThat(page).contains("<!-- keys: " + section + " -->");
    }
    assertThat(ConfigFactory.parseResources(ConfigurationReference.RESOURCE).root().keySet())
        .as("every section of the reference has its table").containsExactlyInAnyOrderElementsOf(
            SECTIONS);
  }

  @Test
  void everyKeyHasADefaultAndAComment() {
    for (String section : SECTIONS) {
      for (ConfigurationReference.Key key : ConfigurationReference.keys(section)) {
        assertThat(key.comment()).as("the comment of %s", key.path()).isNotBlank();
      }
    }
  }

  @Test
  void aTableListsKeysInTheReferencesOrderWithTheirDefaults() {
    List<ConfigurationReference.Key> keys = ConfigurationReference.keys("infer");

    assertThat(keys.get(0)).isEqualTo(new ConfigurationReference.Key("infer.input", "\"\"",
        "Examples table to score (written by prepare). Required."));
    assertThat(keys).extracting(ConfigurationReference.Key::path)
        .containsSubsequence("infer.views", "infer.augment.translate", "infer.augment.flip",
            "infer.augment.cutout", "infer.seed");
    assertThat(ConfigurationReference.table("run")).isEqualTo("""
        | key | default | meaning |
        |---|---|---|
        | `run.steps` | `[]` | %s |
        """.formatted(ConfigurationReference.keys("run").get(0).comment().replace("|", "\\|")));
    assertThat(ConfigurationReference.regenerate("a\n<!-- keys: run -->\nold\n<!-- /keys -->\nb"))
        .isEqualTo("a\n<!-- keys: run -->\n" + ConfigurationReference.table("run")
            + "<!-- /keys -->\nb");
  }
}
