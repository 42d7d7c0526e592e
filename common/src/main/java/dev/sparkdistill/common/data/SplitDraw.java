package dev.sparkdistill.common.data;

import java.nio.charset.StandardCharsets;

/**
 * A seeded pseudo-random number in [0, 1) per row id, the same on every executor and rerun. It
 * decides which rows move to the validation split and which keep their label, independently of
 * how the input is partitioned.
 */
public final class SplitDraw {
  /** Salt of the validation carve. */
  public static final String VALIDATION = "validation";
  /** Salt of the labeled-fraction draw. */
  public static final String LABELED = "labeled";

  private SplitDraw() {}

  public static double unit(long seed, String salt, String id) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    h = mix(h ^ fnv(salt));
    h = mix(h ^ fnv(id));
    return (h >>> 11) * 0x1.0p-53;
  }

  private static long fnv(String text) {
    long h = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  /** The SplitMix64 finalizer: spreads every input bit over the output. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
