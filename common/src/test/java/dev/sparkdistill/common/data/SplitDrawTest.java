package dev.sparkdistill.common.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitDrawTest {

  @Test
  void isDeterministic() {
    assertThat(SplitDraw.unit(42, SplitDraw.VALIDATION, "train.csv:120"))
        .isEqualTo(SplitDraw.unit(42, SplitDraw.VALIDATION, "train.csv:120"));
  }

  @Test
  void staysInUnitInterval() {
    for (int i = 0; i < 20_000; i++) {
      assertThat(SplitDraw.unit(i, SplitDraw.LABELED, "id-" + i)).isGreaterThanOrEqualTo(0.0)
          .isLessThan(1.0);
    }
  }

  @Test
  void differentSaltsGiveDifferentDraws() {
    long differing = IntStream.range(0, 1000)
        .filter(i -> SplitDraw.unit(42, SplitDraw.VALIDATION, "id-" + i)
            != SplitDraw.unit(42, SplitDraw.LABELED, "id-" + i))
        .count();

    assertThat(differing).isEqualTo(1000);
  }

  @Test
  void differentSeedsGiveDifferentDraws() {
    long differing = IntStream.range(0, 1000)
        .filter(i -> SplitDraw.unit(42, SplitDraw.VALIDATION, "id-" + i)
            != SplitDraw.unit(43, SplitDraw.VALIDATION, "id-" + i))
        .count();

    assertThat(differing).isEqualTo(1000);
  }

  @Test
  void differentIdsGiveDifferentDraws() {
    Set<Double> draws = new HashSet<>();
    for (int i = 0; i < 20_000; i++) {
      draws.add(SplitDraw.unit(42, SplitDraw.VALIDATION, "id-" + i));
    }

    assertThat(draws).hasSize(20_000);
  }

  @Test
  void isRoughlyUniform() {
    int n = 20_000;
    long below10 = IntStream.range(0, n)
        .filter(i -> SplitDraw.unit(42, SplitDraw.VALIDATION, "train-images:" + i) < 0.1)
        .count();
    long below50 = IntStream.range(0, n)
        .filter(i -> SplitDraw.unit(42, SplitDraw.VALIDATION, "train-images:" + i) < 0.5)
        .count();

    // Binomial(20000, 0.1) has a standard deviation of about 42; allow about 5 of them.
    assertThat(below10).isBetween(1790L, 2210L);
    // Binomial(20000, 0.5): standard deviation about 71.
    assertThat(below50).isBetween(9650L, 10350L);
  }

  @Test
  void isRoughlyUniformForAnotherSeedAndSalt() {
    long below10 = IntStream.range(0, 20_000)
        .filter(i -> SplitDraw.unit(7, SplitDraw.LABELED, Integer.toString(i)) < 0.1)
        .count();

    assertThat(below10).isBetween(1790L, 2210L);
  }
}
