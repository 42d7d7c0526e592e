package dev.sparkdistill.common.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Function;

/**
 * What one worker contributes to an averaging round: the rows it fitted since the last round,
 * the sum of its minibatch losses (weighted by rows), its parameters and its updater state.
 */
public record WorkerState(long rows, double scoreSum, float[] params, float[] updater)
    implements Serializable {

  public void writeTo(DataOutputStream out) throws IOException {
    out.writeLong(rows);
    out.writeDouble(scoreSum);
    writeFloats(out, params);
    writeFloats(out, updater);
    out.flush();
  }

  /**
   * The lengths a state on the wire must have, known before anything is read: the model's
   * parameter count and its updater state's length (-1 when it has none).
   */
  public record Shape(int params, int updater) implements Serializable {}

  /**
   * Reads a state whose arrays must have {@code expected}'s lengths; a declared length is checked
   * before anything is allocated for it, so a peer cannot ask for a huge allocation.
   *
   * @throws ProtocolException when a declared length or the row count is off
   */
  public static WorkerState readFrom(DataInputStream in, Shape expected) throws IOException {
    long rows = in.readLong();
    if (rows < 0) {
      throw new ProtocolException("a state declares " + rows + " rows");
    }
    return new WorkerState(rows, in.readDouble(), readFloats(in, expected.params(), "parameter"),
        readFloats(in, expected.updater(), "updater state"));
  }

  private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    out.writeInt(values == null ? -1 : values.length);
    if (values != null) {
      ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.BIG_ENDIAN);
      bytes.asFloatBuffer().put(values);
      out.write(bytes.array());
    }
  }

  private static float[] readFloats(DataInputStream in, int expected, String what)
      throws IOException {
    int length = in.readInt();
    if (length != expected && !(length < 0 && expected < 0)) {
      throw new ProtocolException("a state declares " + length + " " + what + " values; the "
          + "model has " + (expected < 0 ? "none" : expected));
    }
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[4 * length];
    in.readFully(bytes);
    float[] values = new float[length];
    ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  /**
   * The average of one part of the states, weighted by the rows each worker fitted in the round
   * (equal weights when none fitted any), so a worker that ran out of data does not pull the
   * average back.
   */
  public static float[] average(List<WorkerState> states, Function<WorkerState, float[]> part) {
    long totalRows = states.stream().mapToLong(WorkerState::rows).sum();
    float[] sum = new float[part.apply(states.get(0)).length];
    for (WorkerState state : states) {
      double weight = totalRows == 0 ? 1.0 / states.size() : (double) state.rows() / totalRows;
      float[] values = part.apply(state);
      for (int i = 0; i < sum.length; i++) {
        sum[i] += (float) (weight * values[i]);
      }
    }
    return sum;
  }

  /** The round's average as a state: all rows, all scores, averaged parameters and updater. */
  public static WorkerState combine(List<WorkerState> states) {
    boolean withUpdater = states.stream().allMatch(s -> s.updater() != null);
    return new WorkerState(states.stream().mapToLong(WorkerState::rows).sum(),
        states.stream().mapToDouble(WorkerState::scoreSum).sum(),
        average(states, WorkerState::params),
        withUpdater ? average(states, WorkerState::updater) : null);
  }
}
