package dev.sparkdistill.jobs.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputTableTest {
  @TempDir
  Path tmp;

  @Test
  void readsTheManifestOfACompleteTableOnceAndDigestsItAsStored() throws Exception {
    Path table = tmp.resolve("examples");
    Files.createDirectories(table);
    String text = "{\"kind\": \"examples\", \"featureShape\": [1, 2, 2], \"featureCount\": 4, "
        + "\"classCount\": 2, \"classNames\": [\"no\", \"yes\"], \"extra\": 1}";
    Files.writeString(table.resolve("_manifest.json"), text);
    Files.writeString(table.resolve("_SUCCESS"), "");

    InputTable input = InputTable.complete(table.toString(), "infer.input", "examples table",
        "run prepare first", new Configuration());

    assertThat(input.shape().featureShape()).containsExactly(1, 2, 2);
    assertThat(input.shape().classNamesOrIndexes()).isEqualTo(List.of("no", "yes"));
    assertThat(input.digest()).isEqualTo("sha256:" + HexFormat.of().formatHex(MessageDigest
        .getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8))));
    assertThat(input.manifest(dev.sparkdistill.common.manifest.TableShape.class))
        .isEqualTo(input.shape());
  }

  @Test
  void refusesATableWithoutItsCompletionMarkerNamingTheKeyAndWhatMakesOne() throws Exception {
    Path table = tmp.resolve("targets");
    Files.createDirectories(table);
    Files.writeString(table.resolve("_manifest.json"), "{}");
    assertThatThrownBy(() -> InputTable.complete(table.toString(), "train.input",
        "examples or targets table", "run prepare or infer first", new Configuration()))
        .isInstanceOf(DistillException.class)
        .hasMessage("train.input = " + table + " is not a complete examples or targets table "
            + "(no _manifest.json and _SUCCESS); run prepare or infer first");
  }
}
