package dev.sparkdistill.jobs.io;

import java.util.List;

/** Spark array columns (read as boxed lists through {@code Row.getList}) as primitive arrays. */
public final class ArrayColumns {
  private ArrayColumns() {}

  public static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  public static int[] ints(List<Integer> values) {
    int[] out = new int[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
