package dev.sparkdistill.common.onnx;

import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/**
 * DL4J activation functions as ONNX nodes. ONNX (opset 17) has no GELU or Swish operator, so
 * those are built from Sigmoid and Mul with the formulas ND4J uses.
 */
final class OnnxActivations {
  static final String SUPPORTED =
      "identity, relu, leakyrelu, tanh, sigmoid, elu, gelu (not precise), swish, softmax";

  private OnnxActivations() {}

  /**
   * Adds the activation after {@code input} and returns the activated tensor's name, or empty
   * when ND4J's function has no ONNX form here (the caller names the layer in its error).
   */
  static Optional<String> apply(OnnxGraph graph, IActivation fn, String input, String hint) {
    List<String> in = List.of(input);
    if (fn instanceof ActivationIdentity) {
      return Optional.of(input);
    } else if (fn instanceof ActivationReLU relu) {
      return isPlain(relu) ? Optional.of(graph.node("Relu", hint + "_relu", in))
          : Optional.empty();
    } else if (fn instanceof ActivationLReLU leaky) {
      return Optional.of(graph.node("LeakyRelu", hint + "_leakyrelu", in,
          OnnxGraph.real("alpha", leaky.getAlpha())));
    } else if (fn instanceof ActivationTanH) {
      return Optional.of(graph.node("Tanh", hint + "_tanh", in));
    } else if (fn instanceof ActivationSigmoid) {
      return Optional.of(graph.node("Sigmoid", hint + "_sigmoid", in));
    } else if (fn instanceof ActivationELU elu) {
      return Optional.of(graph.node("Elu", hint + "_elu", in,
          OnnxGraph.real("alpha", elu.getAlpha())));
    } else if (fn instanceof ActivationSoftmax) {
      return Optional.of(graph.node("Softmax", hint + "_softmax", in,
          OnnxGraph.integer("axis", 1)));
    } else if (fn instanceof ActivationSwish) {
      return Optional.of(timesSigmoidOf(graph, input, input, hint + "_swish"));
    } else if (fn instanceof ActivationGELU gelu && !gelu.isPrecise()) {
      // ND4J's GELU is x * sigmoid(1.702 x). Its "precise" variant matches neither the erf nor
      // the tanh form (1.0.0-M2.1, measured), so it is refused rather than approximated.
      return Optional.of(timesSigmoidOf(graph, input, graph.node("Mul", hint + "_gelu_scale",
          List.of(input, graph.scalar(hint + "_gelu_1.702", 1.702))), hint + "_gelu"));
    }
    return Optional.empty();
  }

  /** ND4J's ReLU also offers a cap, a threshold and a negative slope; only plain ReLU maps. */
  private static boolean isPlain(ActivationReLU relu) {
    return isZeroOrUnset(relu.getMax()) && isZeroOrUnset(relu.getThreshold())
        && isZeroOrUnset(relu.getNegativeSlope());
  }

  private static boolean isZeroOrUnset(Double value) {
    return value == null || value == 0.0;
  }

  /** x * sigmoid(z): Swish with z = x, ND4J's GELU with z = 1.702 x. */
  private static String timesSigmoidOf(OnnxGraph graph, String x, String z, String hint) {
    String sigmoid = graph.node("Sigmoid", hint + "_sigmoid", List.of(z));
    return graph.node("Mul", hint, List.of(x, sigmoid));
  }

}
