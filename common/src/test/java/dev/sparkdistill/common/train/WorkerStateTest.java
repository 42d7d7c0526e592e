package dev.sparkdistill.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import org.junit.jupiter.api.Test;

class WorkerStateTest {
  private static DataInputStream wire(WorkerState state) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    state.writeTo(new DataOutputStream(bytes));
    return new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
  }

  @Test
  void aStateOfTheModelsShapeCrossesTheWireUnchanged() throws IOException {
    WorkerState state = new WorkerState(12, 3.5, new float[] {1, -2, 3}, null);
    WorkerState read = WorkerState.readFrom(wire(state), new WorkerState.Shape(3, -1));
    assertThat(read.rows()).isEqualTo(12);
    assertThat(read.scoreSum()).isEqualTo(3.5);
    assertThat(read.params()).containsExactly(1, -2, 3);
    assertThat(read.updater()).isNull();
  }

  @Test
  void aDeclaredLengthOtherThanTheModelsIsRefusedBeforeAnyAllocation() throws IOException {
    // Declares 2^31-1 parameters in 20 bytes: refused on the length, no 8 GB array asked for.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeLong(1);
    out.writeDouble(0);
    out.writeInt(Integer.MAX_VALUE);
    assertThatThrownBy(() -> WorkerState.readFrom(new DataInputStream(new ByteArrayInputStream(
        bytes.toByteArray())), new WorkerState.Shape(3, -1)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("a state declares 2147483647 parameter values; the model has 3");
  }

  @Test
  void anUpdaterStateWhereTheModelHasNoneOrOfTheWrongLengthIsRefused() {
    assertThatThrownBy(() -> WorkerState.readFrom(wire(new WorkerState(1, 0, new float[3],
        new float[5])), new WorkerState.Shape(3, -1)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("a state declares 5 updater state values; the model has none");
    assertThatThrownBy(() -> WorkerState.readFrom(wire(new WorkerState(1, 0, new float[3],
        null)), new WorkerState.Shape(3, 6)))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("a state declares -1 updater state values; the model has 6");
  }

  @Test
  void negativeRowsAreRefused() {
    assertThatThrownBy(() -> WorkerState.readFrom(wire(new WorkerState(-4, 0, new float[3],
        null)), new WorkerState.Shape(3, -1)))
        .isInstanceOf(ProtocolException.class).hasMessage("a state declares -4 rows");
  }
}
