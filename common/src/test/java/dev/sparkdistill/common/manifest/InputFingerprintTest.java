package dev.sparkdistill.common.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.common.manifest.InputFingerprint.FileFacts;
import java.util.List;
import org.junit.jupiter.api.Test;

class InputFingerprintTest {
  private static final FileFacts A = new FileFacts("hdfs://nn/data/a.csv", 1000, 1_700_000_000_000L);
  private static final FileFacts B = new FileFacts("hdfs://nn/data/b.csv", 2000, 1_700_000_001_000L);
  private static final FileFacts C = new FileFacts("hdfs://nn/data/c.csv", 3000, 1_700_000_002_000L);

  @Test
  void isASha256Digest() {
    assertThat(InputFingerprint.of(List.of(A))).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void isIndependentOfListingOrder() {
    assertThat(InputFingerprint.of(List.of(C, A, B)))
        .isEqualTo(InputFingerprint.of(List.of(A, B, C)))
        .isEqualTo(InputFingerprint.of(List.of(B, C, A)));
  }

  @Test
  void changesWhenAFileLengthChanges() {
    FileFacts grown = new FileFacts(B.path(), B.length() + 1, B.modificationTime());

    assertThat(InputFingerprint.of(List.of(A, grown)))
        .isNotEqualTo(InputFingerprint.of(List.of(A, B)));
  }

  @Test
  void changesWhenAModificationTimeChanges() {
    FileFacts touched = new FileFacts(B.path(), B.length(), B.modificationTime() + 1);

    assertThat(InputFingerprint.of(List.of(A, touched)))
        .isNotEqualTo(InputFingerprint.of(List.of(A, B)));
  }

  @Test
  void changesWhenAPathChanges() {
    FileFacts moved = new FileFacts("hdfs://nn/data/b2.csv", B.length(), B.modificationTime());

    assertThat(InputFingerprint.of(List.of(A, moved)))
        .isNotEqualTo(InputFingerprint.of(List.of(A, B)));
  }

  @Test
  void changesWhenAFileIsAddedOrRemoved() {
    String two = InputFingerprint.of(List.of(A, B));

    assertThat(InputFingerprint.of(List.of(A, B, C))).isNotEqualTo(two);
    assertThat(InputFingerprint.of(List.of(A))).isNotEqualTo(two);
  }

  @Test
  void emptyListingHasTheDigestOfNothing() {
    assertThat(InputFingerprint.of(List.of())).isEqualTo(ConfigRendering.sha256(""));
  }

  @Test
  void digestsPathLengthAndTimeOfEachFile() {
    assertThat(InputFingerprint.of(List.of(B, A))).isEqualTo(ConfigRendering.sha256(
        "hdfs://nn/data/a.csv\t1000\t1700000000000\n"
            + "hdfs://nn/data/b.csv\t2000\t1700000001000\n"));
  }
}
