package dev.sparkdistill.common.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorProto;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An ONNX graph under construction: nodes in order and their constant inputs (initializers),
 * each with a name made unique by a counter, so callers only give a readable hint.
 */
final class OnnxGraph {
  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private int counter;

  GraphProto.Builder proto() {
    return graph;
  }

  /** A float constant with the given dims, values read from the array in row-major order. */
  String floats(String hint, INDArray values, long... dims) {
    float[] data = values.dup('c').castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT)
        .data().asFloat();
    ByteBuffer bytes = ByteBuffer.allocate(data.length * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN); // ONNX raw_data is little-endian
    bytes.asFloatBuffer().put(data);
    return constant(hint, TensorProto.DataType.FLOAT, bytes.array(), dims);
  }

  /** A float scalar constant. */
  String scalar(String hint, double value) {
    ByteBuffer bytes = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN)
        .putFloat((float) value);
    return constant(hint, TensorProto.DataType.FLOAT, bytes.array());
  }

  /** A 1-D int64 constant, e.g. the target shape of a Reshape. */
  String longs(String hint, long... values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);
    bytes.asLongBuffer().put(values);
    return constant(hint, TensorProto.DataType.INT64, bytes.array(), values.length);
  }

  private String constant(String hint, TensorProto.DataType type, byte[] raw, long... dims) {
    String name = unique(hint);
    TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
        .setDataType(type.getNumber())
        .setRawData(com.google.protobuf.ByteString.copyFrom(raw));
    for (long d : dims) {
      tensor.addDims(d);
    }
    graph.addInitializer(tensor);
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  String node(String op, String hint, List<String> inputs, AttributeProto... attributes) {
    String output = unique(hint);
    graph.addNode(NodeProto.newBuilder().setOpType(op).setName(output).addAllInput(inputs)
        .addOutput(output).addAllAttribute(List.of(attributes)));
    return output;
  }

  /** Renames the output of the last node, so the graph's output has a fixed name. */
  void renameLastOutput(String name) {
    int last = graph.getNodeCount() - 1;
    graph.setNode(last, graph.getNode(last).toBuilder().setOutput(0, name).setName(name));
  }

  private String unique(String hint) {
    return hint + "_" + counter++;
  }

  static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  static AttributeProto integer(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  static AttributeProto real(String name, double value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
        .setF((float) value).build();
  }
}
