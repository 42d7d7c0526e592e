package dev.sparkdistill.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionDefaultsTest extends SparkTestBase {
  private static final String OURS = "spark.sql.parquet.writeLegacyFormat";
  private static final String USERS = "spark.sql.files.maxRecordsPerFile";

  @Test
  void setsOnlyTheKeysTheUserLeftForThePhaseAndRestoresBoth() {
    spark.conf().set(USERS, "7");
    try {
      Map<String, String> seen = new java.util.HashMap<>();
      SessionDefaults.with(spark, List.of(new SessionDefaults.Setting(OURS, "true", "test"),
          new SessionDefaults.Setting(USERS, "9", "test")), () -> {
            seen.put(OURS, spark.conf().get(OURS));
            seen.put(USERS, spark.conf().get(USERS));
          });

      assertThat(seen).containsEntry(OURS, "true").containsEntry(USERS, "7");
      assertThat(spark.conf().contains(OURS)).isFalse();
      assertThat(spark.conf().get(USERS)).isEqualTo("7");
    } finally {
      spark.conf().unset(USERS);
    }
  }

  @Test
  void restoresTheSessionWhenThePhaseFails() {
    assertThatThrownBy(() -> SessionDefaults.with(spark,
        List.of(new SessionDefaults.Setting(OURS, "true", "test")), () -> {
          throw new IllegalStateException("phase failed");
        })).hasMessage("phase failed");

    assertThat(spark.conf().contains(OURS)).isFalse();
  }
}
