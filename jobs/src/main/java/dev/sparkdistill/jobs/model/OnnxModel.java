package dev.sparkdistill.jobs.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ModelInput;
import dev.sparkdistill.common.manifest.TableShape;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model in ONNX Runtime (CPU): opening a session, checking it against the examples,
 * running it. One session serves every task thread of a JVM (ONNX Runtime's run is thread-safe);
 * each run uses as many threads as ND4J gets per task ({@code OMP_NUM_THREADS}, default 1), so
 * the two formats share the cores the same way.
 */
final class OnnxModel {
  private OnnxModel() {}

  /** @throws DistillException when the bytes are not a model ONNX Runtime can load */
  static OrtSession open(byte[] bytes, String role, String location) {
    try (OrtSession.SessionOptions options = options()) {
      return OrtEnvironment.getEnvironment().createSession(bytes, options);
    } catch (OrtException e) {
      throw new DistillException(role + " " + location + " is not a readable ONNX model: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  /** A session's options: as many threads as ND4J gets per task, no parallel branches. */
  static OrtSession.SessionOptions options() throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(threadsPerTask());
    options.setInterOpNumThreads(1);
    return options;
  }

  static int threadsPerTask() {
    try {
      return Math.max(1, Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", "1")));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /** The shape rows are fed in, batch first (-1), and whether it is channels last. */
  record Fed(long[] shape, boolean channelsLast) {}

  static long[] checkedInputShape(OrtSession session, TableShape shape, String role,
      String location) {
    return checkedInput(session, shape, ModelInput.Layout.AUTO, role, location).shape();
  }

  /**
   * The model's one float input must be [batch, features], [batch, feature shape...] of the
   * examples' manifest, or for images [batch, height, width, channels]; its output must give
   * one logit per class.
   *
   * @param layout AUTO takes channels last only when the declared shape says so
   */
  static Fed checkedInput(OrtSession session, TableShape shape, ModelInput.Layout layout,
      String role, String location) {
    try {
      Map<String, NodeInfo> inputs = session.getInputInfo();
      if (inputs.size() != 1) {
        throw new DistillException(role + " " + location + " has " + inputs.size()
            + " inputs, " + describe(inputs) + "; a teacher takes one, the examples' features "
            + "as a float tensor: export the model with only that input (fold the others in "
            + "as constants)");
      }
      if (!(inputs.values().iterator().next().getInfo() instanceof TensorInfo tensor)
          || tensor.type != OnnxJavaType.FLOAT) {
        throw new DistillException(role + " " + location + " must take one float tensor, but "
            + "its input is " + describe(inputs));
      }
      Fed fed = fedShape(tensor.getShape(), shape, layout).orElseThrow(() ->
          new DistillException(role + " " + location + " takes input "
              + inputs.keySet().iterator().next() + " of shape "
              + Arrays.toString(tensor.getShape()) + " but the examples have "
              + shape.featureCount() + " features (shape " + shape.featureShape()
              + "); expected [batch, " + shape.featureCount() + "] or [batch, "
              + join(shape.featureShape()) + "]" + (shape.featureShape().size() == 3
              ? " or, channels last, [batch, " + shape.featureShape().get(1) + ", "
              + shape.featureShape().get(2) + ", " + shape.featureShape().get(0) + "]" : "")
              + (layout == ModelInput.Layout.AUTO ? ""
              : " (layout " + layout.name().toLowerCase(java.util.Locale.ROOT) + ")")));
      float[][] trial = run(session, fed.shape(), new float[shape.featureCount()], 1);
      if (trial[0].length != shape.classCount()) {
        throw new DistillException(role + " " + location + " has " + trial[0].length
            + " outputs but the examples have " + shape.classCount() + " classes");
      }
      return fed;
    } catch (OrtException e) {
      throw new DistillException(role + " " + location + " cannot be run by ONNX Runtime: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  /** The first shape the declared one accepts: flat, channels first, then channels last. */
  private static java.util.Optional<Fed> fedShape(long[] declared, TableShape shape,
      ModelInput.Layout layout) {
    List<Integer> dims = shape.featureShape();
    List<Fed> accepted = new java.util.ArrayList<>();
    if (layout != ModelInput.Layout.NHWC) {
      accepted.add(new Fed(new long[] {-1, shape.featureCount()}, false));
      accepted.add(new Fed(java.util.stream.Stream.concat(java.util.stream.Stream.of(-1L),
          dims.stream().map(Integer::longValue)).mapToLong(Long::longValue).toArray(), false));
    }
    if (layout != ModelInput.Layout.NCHW && dims.size() == 3) {
      accepted.add(new Fed(new long[] {-1, dims.get(1), dims.get(2), dims.get(0)}, true));
    }
    for (Fed candidate : accepted) {
      if (candidate.shape().length == declared.length && matches(declared, candidate.shape())) {
        return java.util.Optional.of(candidate);
      }
    }
    return java.util.Optional.empty();
  }

  /** A declared dimension of -1 (dynamic) accepts any size. */
  private static boolean matches(long[] declared, long[] candidate) {
    for (int d = 1; d < declared.length; d++) {
      if (declared[d] != -1 && declared[d] != candidate[d]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Logits of {@code count} flat rows; the output must be [count, classes].
   *
   * @param fed the input shape from {@link #checkedInputShape}, batch -1
   */
  static float[][] run(OrtSession session, long[] fed, float[] rows, int count)
      throws OrtException {
    long[] shape = fed.clone();
    shape[0] = count;
    int width = (int) Arrays.stream(fed).skip(1).reduce(1, Math::multiplyExact);
    String input = session.getInputNames().iterator().next();
    try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
            FloatBuffer.wrap(rows, 0, count * width), shape);
        OrtSession.Result result = session.run(Map.of(input, tensor))) {
      if (!(result.get(0).getValue() instanceof float[][] logits)) {
        throw new DistillException("an ONNX model's first output must be float logits "
            + "[batch, classes], got " + result.get(0).getInfo());
      }
      return logits;
    }
  }

  /**
   * Elements of every floating-point initializer: the model's parameters, for the manifest
   * (integer initializers are shapes and indices, not parameters).
   */
  static long parameterCount(byte[] bytes) {
    java.util.Set<Integer> floating = java.util.Set.of(
        onnx.Onnx.TensorProto.DataType.FLOAT_VALUE, onnx.Onnx.TensorProto.DataType.DOUBLE_VALUE,
        onnx.Onnx.TensorProto.DataType.FLOAT16_VALUE,
        onnx.Onnx.TensorProto.DataType.BFLOAT16_VALUE);
    try {
      return onnx.Onnx.ModelProto.parseFrom(bytes).getGraph().getInitializerList().stream()
          .filter(t -> floating.contains(t.getDataType()))
          .mapToLong(t -> t.getDimsList().stream().reduce(1L, Math::multiplyExact)).sum();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("ONNX Runtime loaded a model protobuf cannot parse", e);
    }
  }

  private static String describe(Map<String, NodeInfo> inputs) {
    return inputs.values().stream().map(n -> n.getName() + " " + n.getInfo()).toList()
        .toString();
  }

  private static String join(List<Integer> shape) {
    return String.join(", ", shape.stream().map(String::valueOf).toList());
  }
}
