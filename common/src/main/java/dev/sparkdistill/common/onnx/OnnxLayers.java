package dev.sparkdistill.common.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import onnx.Onnx.AttributeProto;

/**
 * One DL4J layer (or input preprocessor) as ONNX nodes, in inference form: dropout is dropped,
 * batch normalization uses its running mean and variance. Everything is NCHW, as DL4J's
 * defaults; weights keep DL4J's layouts (dense [in, out] for Gemm, convolution
 * [out, in, kh, kw] as ONNX Conv expects).
 */
final class OnnxLayers {
  static final String SUPPORTED = "dense, output, convolution, subsampling (max, average), "
      + "global pooling (max, average), batch normalization, dropout and activation layers";

  private final OnnxGraph graph;

  OnnxLayers(OnnxGraph graph) {
    this.graph = graph;
  }

  /** The nodes of a preprocessor, or empty when there is no ONNX form for it. */
  Optional<String> preprocessor(InputPreProcessor pre, String input, String hint) {
    if (pre instanceof FeedForwardToCnnPreProcessor toCnn) {
      // DL4J reshapes flat rows in 'c' order, as ONNX Reshape does.
      return Optional.of(graph.node("Reshape", hint + "_to_nchw", List.of(input,
          graph.longs(hint + "_shape", -1, toCnn.getNumChannels(), toCnn.getInputHeight(),
              toCnn.getInputWidth()))));
    } else if (pre instanceof CnnToFeedForwardPreProcessor toFlat
        && toFlat.getFormat() != CNN2DFormat.NHWC) {
      return Optional.of(graph.node("Flatten", hint + "_flatten", List.of(input),
          OnnxGraph.integer("axis", 1)));
    }
    return Optional.empty();
  }

  /**
   * The nodes of one layer given its input type, or empty when the layer (or its activation)
   * has no ONNX form here.
   */
  Optional<String> layer(Layer layer, InputType inputType, String input, String hint) {
    org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
    Optional<String> out;
    if (conf instanceof DropoutLayer) {
      return Optional.of(input);
    } else if (conf.getClass() == DenseLayer.class && !((DenseLayer) conf).hasLayerNorm()
        || conf.getClass() == OutputLayer.class) {
      out = Optional.of(gemm(layer, input, hint));
    } else if (conf.getClass() == ConvolutionLayer.class
        && ((ConvolutionLayer) conf).getCnn2dDataFormat() != CNN2DFormat.NHWC) {
      out = convolution(layer, (ConvolutionLayer) conf, inputType, input, hint);
    } else if (conf.getClass() == SubsamplingLayer.class) {
      return subsampling((SubsamplingLayer) conf, inputType, input, hint);
    } else if (conf instanceof GlobalPoolingLayer global) {
      return globalPooling(global, inputType, input, hint);
    } else if (conf instanceof BatchNormalization bn && bn.getCnn2DFormat() != CNN2DFormat.NHWC) {
      // DL4J 1.0.0-M2.1 does not apply a batch normalization layer's activation (measured:
      // tanh configured, unbounded outputs), so neither does the export.
      return Optional.of(batchNorm(layer, bn, input, hint));
    } else if (conf instanceof ActivationLayer) {
      out = Optional.of(input);
    } else {
      return Optional.empty();
    }
    return out.flatMap(x -> OnnxActivations.apply(graph, activationOf(conf), x, hint));
  }

  private static org.nd4j.linalg.activations.IActivation activationOf(
      org.deeplearning4j.nn.conf.layers.Layer conf) {
    return conf instanceof ActivationLayer a ? a.getActivationFn()
        : ((BaseLayer) conf).getActivationFn();
  }

  /** Dense and output layers: x W + b, W stored [in, out]. */
  private String gemm(Layer layer, String input, String hint) {
    INDArray w = layer.getParam("W");
    List<String> inputs = new ArrayList<>(List.of(input,
        graph.floats(hint + "_W", w, w.size(0), w.size(1))));
    if (layer.paramTable().containsKey("b")) {
      INDArray b = layer.getParam("b");
      inputs.add(graph.floats(hint + "_b", b, b.length()));
    }
    return graph.node("Gemm", hint + "_gemm", inputs);
  }

  private Optional<String> convolution(Layer layer, ConvolutionLayer conf, InputType inputType,
      String input, String hint) {
    Optional<long[]> pads = pads(conf.getConvolutionMode(), conf.getKernelSize(),
        conf.getStride(), conf.getDilation(), conf.getPadding(), inputType);
    if (pads.isEmpty()) {
      return Optional.empty();
    }
    INDArray w = layer.getParam("W");
    List<String> inputs = new ArrayList<>(List.of(input, graph.floats(hint + "_W", w, w.shape())));
    if (layer.paramTable().containsKey("b")) {
      INDArray b = layer.getParam("b");
      inputs.add(graph.floats(hint + "_b", b, b.length()));
    }
    return Optional.of(graph.node("Conv", hint + "_conv", inputs,
        OnnxGraph.ints("kernel_shape", toLongs(conf.getKernelSize())),
        OnnxGraph.ints("strides", toLongs(conf.getStride())),
        OnnxGraph.ints("dilations", toLongs(conf.getDilation())),
        OnnxGraph.ints("pads", pads.get())));
  }

  private Optional<String> subsampling(SubsamplingLayer conf, InputType inputType, String input,
      String hint) {
    boolean max = conf.getPoolingType() == PoolingType.MAX;
    boolean avg = conf.getPoolingType() == PoolingType.AVG;
    boolean undilated = conf.getDilation()[0] == 1 && conf.getDilation()[1] == 1;
    Optional<long[]> pads = pads(conf.getConvolutionMode(), conf.getKernelSize(),
        conf.getStride(), conf.getDilation(), conf.getPadding(), inputType);
    if (!(max || avg) || !undilated || pads.isEmpty()
        || conf.getCnn2dDataFormat() == CNN2DFormat.NHWC) {
      return Optional.empty();
    }
    List<AttributeProto> attributes = new ArrayList<>(List.of(
        OnnxGraph.ints("kernel_shape", toLongs(conf.getKernelSize())),
        OnnxGraph.ints("strides", toLongs(conf.getStride())),
        OnnxGraph.ints("pads", pads.get())));
    if (avg) {
      attributes.add(OnnxGraph.integer("count_include_pad",
          conf.isAvgPoolIncludePadInDivisor() ? 1 : 0));
    }
    return Optional.of(graph.node(max ? "MaxPool" : "AveragePool", hint + "_pool",
        List.of(input), attributes.toArray(AttributeProto[]::new)));
  }

  /**
   * Global pooling of [batch, channels, h, w] into [batch, channels], as DL4J's layer does by
   * default (collapsed dimensions, no mask here).
   */
  private Optional<String> globalPooling(GlobalPoolingLayer conf, InputType inputType,
      String input, String hint) {
    boolean max = conf.getPoolingType() == PoolingType.MAX;
    boolean avg = conf.getPoolingType() == PoolingType.AVG;
    boolean spatial = conf.getPoolingDimensions() == null
        || java.util.Arrays.equals(conf.getPoolingDimensions(), new int[] {2, 3});
    if (!(max || avg) || !spatial || !conf.isCollapseDimensions()
        || !(inputType instanceof InputType.InputTypeConvolutional image)
        || image.getFormat() == CNN2DFormat.NHWC) {
      return Optional.empty();
    }
    String pooled = graph.node(max ? "GlobalMaxPool" : "GlobalAveragePool", hint + "_pool",
        List.of(input));
    return Optional.of(graph.node("Flatten", hint + "_flatten", List.of(pooled),
        OnnxGraph.integer("axis", 1)));
  }

  /**
   * Inference batch normalization from the running statistics. DL4J stores either the variance
   * or, by default, log10 of the standard deviation sqrt(var + eps); ONNX wants the variance.
   */
  private String batchNorm(Layer layer, BatchNormalization conf, String input, String hint) {
    INDArray mean = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
    long channels = mean.length();
    INDArray variance = conf.isUseLogStd()
        ? varianceFromLog10Std(layer.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD),
            conf.getEps())
        : layer.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
    INDArray gamma = conf.isLockGammaBeta()
        ? Nd4j.valueArrayOf(new long[] {channels}, conf.getGamma(), mean.dataType())
        : layer.getParam(BatchNormalizationParamInitializer.GAMMA);
    INDArray beta = conf.isLockGammaBeta()
        ? Nd4j.valueArrayOf(new long[] {channels}, conf.getBeta(), mean.dataType())
        : layer.getParam(BatchNormalizationParamInitializer.BETA);
    return graph.node("BatchNormalization", hint + "_batchnorm", List.of(input,
        graph.floats(hint + "_gamma", gamma, channels),
        graph.floats(hint + "_beta", beta, channels),
        graph.floats(hint + "_mean", mean, channels),
        graph.floats(hint + "_var", variance, channels)),
        OnnxGraph.real("epsilon", conf.getEps()));
  }

  private static INDArray varianceFromLog10Std(INDArray log10Std, double eps) {
    INDArray std = Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0, log10Std.dataType()),
        log10Std, false);
    return std.mul(std).subi(eps);
  }

  /**
   * ONNX pads [top, left, bottom, right]. Truncate and Strict use the layer's padding on both
   * sides; Same pads so the output is ceil(input / stride), the odd pixel at the bottom and
   * right, as DL4J does. Other modes (Causal) have no counterpart here.
   */
  private static Optional<long[]> pads(ConvolutionMode mode, int[] kernel, int[] stride,
      int[] dilation, int[] padding, InputType inputType) {
    if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
      return Optional.of(new long[] {padding[0], padding[1], padding[0], padding[1]});
    }
    if (mode != ConvolutionMode.Same
        || !(inputType instanceof InputType.InputTypeConvolutional image)) {
      return Optional.empty();
    }
    long[] size = {image.getHeight(), image.getWidth()};
    long[] pads = new long[4];
    for (int d = 0; d < 2; d++) {
      long out = (size[d] + stride[d] - 1) / stride[d];
      long total = Math.max(0,
          (out - 1) * stride[d] + (long) (kernel[d] - 1) * dilation[d] + 1 - size[d]);
      pads[d] = total / 2;
      pads[d + 2] = total - total / 2;
    }
    return Optional.of(pads);
  }

  private static long[] toLongs(int[] values) {
    return java.util.Arrays.stream(values).asLongStream().toArray();
  }
}
