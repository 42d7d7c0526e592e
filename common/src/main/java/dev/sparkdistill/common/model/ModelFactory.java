package dev.sparkdistill.common.model;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * Builds networks from {@link ModelSpec}: an MLP, or convolution blocks then dense layers. The
 * output layer has one unit per class, IDENTITY activation (it emits logits) and the
 * {@link DistillationLoss}. Flat feature rows are reshaped to [channels, height, width] by the
 * network itself, so training data stays flat.
 */
public final class ModelFactory {
  private ModelFactory() {}

  public static MultiLayerNetwork create(ModelSpec spec, List<Integer> featureShape,
      int classCount, DistillationLoss loss, TrainConfig.Updater updater, long seed) {
    MultiLayerNetwork network = new MultiLayerNetwork(
        configuration(spec, featureShape, classCount, loss, updater, seed));
    network.init();
    return ConvolutionHelpers.attach(network);
  }

  public static MultiLayerConfiguration configuration(ModelSpec spec, List<Integer> featureShape,
      int classCount, DistillationLoss loss, TrainConfig.Updater updater, long seed) {
    NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(spec.weightInit())
        .updater(updater(updater))
        .convolutionMode(ConvolutionMode.Same)
        .list();
    if (spec.kind() == ModelSpec.Kind.CNN) {
      if (featureShape.size() != 3) {
        throw new DistillException("train.model.kind = cnn needs image-shaped features "
            + "[channels, height, width], but the input's feature shape is " + featureShape);
      }
      for (int channels : spec.convChannels()) {
        layers.layer(new ConvolutionLayer.Builder(spec.kernelSize(), spec.kernelSize())
            .nOut(channels).activation(spec.activation()).build());
        if (spec.poolSize() > 1) {
          layers.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
              .kernelSize(spec.poolSize(), spec.poolSize())
              .stride(spec.poolSize(), spec.poolSize()).build());
        }
      }
    }
    for (int width : spec.hidden()) {
      DenseLayer.Builder dense = new DenseLayer.Builder().nOut(width).activation(spec.activation());
      if (spec.dropout() > 0) {
        dense.dropOut(1 - spec.dropout()); // DL4J takes the probability of keeping an input
      }
      layers.layer(dense.build());
    }
    layers.layer(new OutputLayer.Builder(loss).nOut(classCount).activation(Activation.IDENTITY)
        .build());
    return layers.setInputType(inputType(spec, featureShape)).build();
  }

  private static InputType inputType(ModelSpec spec, List<Integer> shape) {
    if (spec.kind() == ModelSpec.Kind.CNN) {
      return InputType.convolutionalFlat(shape.get(1), shape.get(2), shape.get(0));
    }
    return InputType.feedForward(shape.stream().mapToLong(Integer::longValue)
        .reduce(1, Math::multiplyExact));
  }

  static IUpdater updater(TrainConfig.Updater updater) {
    return updater(updater, rate(updater));
  }

  private static ISchedule rate(TrainConfig.Updater updater) {
    return new ExponentialSchedule(ScheduleType.EPOCH, updater.learningRate(),
        updater.decayPerEpoch());
  }

  private static IUpdater updater(TrainConfig.Updater updater, ISchedule rate) {
    return switch (updater.kind()) {
      case ADAM -> new Adam(rate);
      case NESTEROVS -> new Nesterovs(rate, 0.9);
      case SGD -> new Sgd(rate);
    };
  }

  /**
   * Multiplies the learning rate of a network built from {@code updater} by {@code factor},
   * reached over {@code warmupIterations} of each worker's steps ({@link WorkerScaledSchedule}).
   * Call before the first fit: it replaces the layers' updater configuration, which the workers
   * rebuild the network from.
   */
  public static void scaleLearningRate(MultiLayerNetwork network, TrainConfig.Updater updater,
      double factor, int warmupIterations) {
    if (factor == 1) {
      return;
    }
    ISchedule scaled = new WorkerScaledSchedule(rate(updater), factor, warmupIterations);
    for (NeuralNetConfiguration layer : network.getLayerWiseConfigurations().getConfs()) {
      if (layer.getLayer() instanceof BaseLayer base) {
        base.setIUpdater(updater(updater, scaled));
      }
    }
  }

  /** The output width of a network, for checks against a table's class count. */
  public static long outputWidth(MultiLayerNetwork network) {
    return network.getOutputLayer().getParam("b").length();
  }
}
