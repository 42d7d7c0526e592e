package dev.sparkdistill.common.model;

import java.lang.reflect.Field;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import java.util.function.Supplier;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sends DL4J's 2-d convolutions to libnd4j's {@code conv2d} and {@code conv2d_bp} ops, which run
 * oneDNN in ND4J's {@code -onednn} builds, instead of DL4J's own im2col and BLAS gemm.
 *
 * <p>Why by hand: in DL4J 1.0.0-M2.1 the layer's oneDNN helper is never chosen. Helpers are off
 * unless {@code org.eclipse.deeplearning4j.helpers.disable=false}, and even then the helper's
 * availability check looks for {@code org.nd4j.nativeblas.Nd4jCpu$Environment}, a class M2.1
 * renamed, so it always answers "not supported". The helper itself works (same outputs and
 * gradients as the built-in path to float rounding), and it falls back to the built-in path on
 * its own for anything it does not take (non-float data). Measured on the demo's CNN teacher,
 * one thread: 333 rows/s built in, 1,667 rows/s through oneDNN.
 *
 * <p>Call after a network's layers exist ({@code init()}, {@code clone()}, restore): each of
 * those builds new layer objects without the helper. A no-op on the CUDA backend, where DL4J
 * chooses cuDNN itself.
 */
public final class ConvolutionHelpers {
  private static final Field HELPER = helperField(ConvolutionLayer.class);
  private static final Field BATCH_NORM_HELPER = helperField(BatchNormalization.class);

  private ConvolutionHelpers() {}

  private static Field helperField(Class<?> layer) {
    try {
      Field field = layer.getDeclaredField("helper");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException("DL4J's " + layer.getSimpleName() + " has no 'helper' "
          + "field; this DL4J version is not the one spark-distill was built with", e);
    }
  }

  /**
   * Attaches the oneDNN helpers to each plain 2-d convolution layer and each batch
   * normalization layer (measured on the demo's CNN with batch norm: the built-in batch norm
   * took 2.8x the time of the whole network without it); returns the network.
   */
  public static MultiLayerNetwork attach(MultiLayerNetwork network) {
    if (!Nd4j.getEnvironment().isCPU() || network.getLayers() == null) {
      return network;
    }
    for (Layer layer : network.getLayers()) {
      // Only the plain layer: the 1-d, 3-d, depthwise and separable subclasses take other ops.
      if (layer.getClass() == ConvolutionLayer.class) {
        attach(HELPER, layer, () -> new MKLDNNConvHelper(layer.getParam("W").dataType()));
      } else if (layer instanceof BatchNormalization batchNorm
          && !batchNorm.layerConf().isLockGammaBeta()) {
        // The helper takes learned gamma and beta only, as its own support check says.
        attach(BATCH_NORM_HELPER, layer,
            () -> new MKLDNNBatchNormHelper(layer.getParam("gamma").dataType()));
      }
    }
    return network;
  }

  private static void attach(Field field, Layer layer, Supplier<Object> helper) {
    try {
      if (field.get(layer) == null) {
        field.set(layer, helper.get());
      }
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot attach a oneDNN helper to " + layer, e);
    }
  }

  /** Whether any layer of {@code network} runs through a oneDNN helper. */
  public static boolean attached(MultiLayerNetwork network) {
    return java.util.Arrays.stream(network.getLayers()).anyMatch(layer -> helper(layer) != null);
  }

  /** The helper a convolution or batch normalization layer runs through; null for none. */
  static Object helper(Layer layer) {
    try {
      if (layer.getClass() == ConvolutionLayer.class) {
        return HELPER.get(layer);
      }
      return layer instanceof BatchNormalization ? BATCH_NORM_HELPER.get(layer) : null;
    } catch (IllegalAccessException e) {
      return null;
    }
  }
}
