package dev.sparkdistill.common.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ScoringSplitsTest {
  private static final long MIB = 1L << 20;

  @Test
  void aSmallTableIsCutIntoSeveralTasksPerCore() {
    // Fashion-MNIST's examples table, about 41 MiB, on 2 cores: 4 splits of 10.25 MiB.
    long split = ScoringSplits.maxPartitionBytes(41 * MIB, 2);
    assertThat(split).isEqualTo(41 * MIB / 4);
    assertThat(41 * MIB / split).isGreaterThanOrEqualTo(2L * ScoringSplits.TASKS_PER_CORE - 1);
  }

  @Test
  void splitsAreNeverSmallerThanARowGroup() {
    assertThat(ScoringSplits.maxPartitionBytes(3 * MIB, 8)).isEqualTo(ScoringSplits.MIN_SPLIT_BYTES);
    assertThat(ScoringSplits.maxPartitionBytes(0, 1)).isEqualTo(ScoringSplits.MIN_SPLIT_BYTES);
    assertThat(ScoringSplits.MIN_SPLIT_BYTES).isEqualTo(ScoringSplits.ROW_GROUP_BYTES);
  }

  @Test
  void aLargeTableKeepsSparksDefaultCap() {
    assertThat(ScoringSplits.maxPartitionBytes(1L << 40, 200))
        .isEqualTo(ScoringSplits.MAX_SPLIT_BYTES);
  }

  @Test
  void moreCoresMakeSmallerSplits() {
    assertThat(ScoringSplits.maxPartitionBytes(10_000 * MIB, 64))
        .isLessThan(ScoringSplits.maxPartitionBytes(10_000 * MIB, 4));
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> ScoringSplits.maxPartitionBytes(MIB, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cores >= 1");
    assertThatThrownBy(() -> ScoringSplits.readerBatchRows(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batchSize >= 1");
  }

  @Test
  void theReaderTakesOneScoringBatchAtATimeUpToSparksOwnBatch() {
    assertThat(ScoringSplits.readerBatchRows(256)).isEqualTo(256);
    assertThat(ScoringSplits.readerBatchRows(1)).isEqualTo(1);
    assertThat(ScoringSplits.readerBatchRows(100_000))
        .isEqualTo(ScoringSplits.SPARK_READER_BATCH_ROWS);
  }
}
