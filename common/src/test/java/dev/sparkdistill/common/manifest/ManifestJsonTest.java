package dev.sparkdistill.common.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.manifest.ExamplesManifest.RowCounts;
import dev.sparkdistill.common.manifest.ExamplesManifest.Source;
import dev.sparkdistill.common.manifest.ExamplesManifest.SplitCounts;
import dev.sparkdistill.common.manifest.ExamplesManifest.SplitPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestJsonTest {
  private static final String FILE = "out/_manifest.json";

  static ExamplesManifest sample() {
    return new ExamplesManifest(
        ExamplesManifest.SCHEMA_VERSION,
        ExamplesManifest.KIND,
        "0.1.0-SNAPSHOT",
        "2025-01-01T10:00:00Z",
        "2025-01-01T10:05:00Z",
        List.of(1, 28, 28),
        784,
        10,
        List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot"),
        new FeatureScaling(FeatureScaling.Kind.LINEAR, 1.0 / 255, 0.0),
        new Source("idx", Map.of("train", "/data/train-images.gz", "test", "/data/t10k.gz"), 4,
            "sha256:" + "ab".repeat(32)),
        new RowCounts(70_003, 70_000, 64_000, 6_000, 3,
            Map.of("train", new SplitCounts(54_000, 0), "validation", new SplitCounts(6_000, 0),
                "test", new SplitCounts(4_000, 6_000)),
            Map.of("wrong_feature_count", 2L, "label_out_of_range", 1L)),
        new SplitPolicy(true, 0.1, 1.0, 42),
        "sha256:" + "cd".repeat(32),
        null);
  }

  @Test
  void roundTripsAnExamplesManifest() {
    ExamplesManifest manifest = sample();

    ExamplesManifest read = ManifestJson.read(ManifestJson.write(manifest),
        ExamplesManifest.class, FILE);

    assertThat(read).isEqualTo(manifest);
  }

  @Test
  void writesIndentedJsonEndingWithANewline() {
    String json = ManifestJson.write(sample());

    assertThat(json).startsWith("{\n").endsWith("}\n");
    assertThat(json).contains("\"schemaVersion\" : 1", "\"kind\" : \"examples\"",
        "\"featureCount\" : 784", "\"validationCarved\" : true");
  }

  @Test
  void doesNotWriteDerivedProperties() {
    String json = ManifestJson.write(sample());

    assertThat(json).doesNotContain("\"identity\"", "\"total\"");
  }

  @Test
  void ignoresUnknownProperties() {
    String json = ManifestJson.write(sample())
        .replaceFirst("\\{", "{ \"writtenBy\" : \"a future version\", \"extra\" : { \"n\" : 1 },");

    assertThat(ManifestJson.read(json, ExamplesManifest.class, FILE)).isEqualTo(sample());
  }

  @Test
  void missingPropertiesReadAsDefaults() {
    ExamplesManifest read = ManifestJson.read("{ \"kind\" : \"examples\" }",
        ExamplesManifest.class, FILE);

    assertThat(read.kind()).isEqualTo("examples");
    assertThat(read.schemaVersion()).isZero();
    assertThat(read.rows()).isNull();
  }

  @Test
  void refusesInvalidJsonNamingTheFile() {
    // The part after the colon is Jackson's own wording.
    assertThatThrownBy(() -> ManifestJson.read("{ nope", ExamplesManifest.class, FILE))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("manifest out/_manifest.json is not a valid ExamplesManifest: ")
        .hasMessageContaining("Unexpected character ('n' (code 110))");
  }

  @Test
  void refusesTruncatedJsonNamingTheFile() {
    String json = ManifestJson.write(sample());
    String cut = json.substring(0, json.length() / 2);

    assertThatThrownBy(() -> ManifestJson.read(cut, ExamplesManifest.class, FILE))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("manifest out/_manifest.json is not a valid ExamplesManifest: ");
  }

  @Test
  void refusesWrongTypedValueNamingTheFile() {
    assertThatThrownBy(() -> ManifestJson.read("{ \"featureCount\" : \"many\" }",
            ExamplesManifest.class, FILE))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("manifest out/_manifest.json is not a valid ExamplesManifest: ")
        .hasMessageContaining("\"many\"");
  }

  @Test
  void refusesEmptyFileNamingIt() {
    assertThatThrownBy(() -> ManifestJson.read("", ExamplesManifest.class, FILE))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("manifest out/_manifest.json is not a valid ExamplesManifest: ");
  }

  @Test
  void refusesJsonNull() {
    assertThatThrownBy(() -> ManifestJson.read("null", ExamplesManifest.class, FILE))
        .isInstanceOf(DistillException.class)
        .hasMessageStartingWith("manifest out/_manifest.json is not a valid ExamplesManifest");
  }
}
