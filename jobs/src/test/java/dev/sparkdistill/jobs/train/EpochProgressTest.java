package dev.sparkdistill.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EpochProgressTest {
  @Test
  void saysRowsRateAndTimeLeftAtThatRate() {
    assertThat(EpochProgress.line(3, 1, 12_000, 27_000, 30.0)).isEqualTo(
        "epoch 3, worker 1: 12,000 of 27,000 rows in 30 s (400 rows/s), about 38 s left");
  }
}
