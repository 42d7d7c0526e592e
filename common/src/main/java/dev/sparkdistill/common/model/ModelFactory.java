package dev.sparkdistill.common.model;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
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
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.ISchedule;

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
    NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(spec.weightInit())
        .updater(updater(updater, LearningRateSchedule.of(updater, 0)))
        .convolutionMode(ConvolutionMode.Same);
    NeuralNetConfiguration.ListBuilder layers = base.list();
    if (spec.kind() == ModelSpec.Kind.CNN) {
      if (featureShape.size() != 3) {
        throw new DistillException("train.model.kind = cnn needs image-shaped features "
            + "[channels, height, width], but the input's feature shape is " + featureShape);
      }
      for (int channels : spec.convChannels()) {
        ConvolutionLayer.Builder convolution =
            new ConvolutionLayer.Builder(spec.kernelSize(), spec.kernelSize()).nOut(channels);
        if (spec.batchNorm()) {
          // conv -> batch norm -> activation; the norm's shift makes a convolution bias
          // redundant. The activation is a layer of its own: DL4J M2.1 ignores a batch norm
          // layer's activation.
          layers.layer(convolution.hasBias(false).activation(Activation.IDENTITY).build());
          layers.layer(new BatchNormalization.Builder().build());
          layers.layer(new ActivationLayer.Builder().activation(spec.activation()).build());
        } else {
          layers.layer(convolution.activation(spec.activation()).build());
        }
        if (spec.poolSize() > 1) {
          layers.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
              .kernelSize(spec.poolSize(), spec.poolSize())
              .stride(spec.poolSize(), spec.poolSize()).build());
        }
      }
      if (spec.globalPooling()) {
        layers.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build());
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
    MultiLayerConfiguration configuration = layers.setInputType(inputType(spec, featureShape))
        .build();
    if (updater.weightDecay() > 0) {
      decayWeights(configuration, updater.weightDecay());
    }
    return configuration;
  }

  /**
   * Decoupled weight decay on the weights of the convolution, dense and output layers, not on
   * biases or batch normalization. DL4J applies WeightDecay after the updater step, scaled by the
   * current learning rate: the form of AdamW, not an L2 term in the gradient (which Adam would
   * rescale). Set per layer after the build: the builder's weightDecay() lands in each layer's
   * list twice in DL4J M2.1 (measured: twice the decay).
   */
  private static void decayWeights(MultiLayerConfiguration configuration, double coefficient) {
    for (NeuralNetConfiguration layer : configuration.getConfs()) {
      if (layer.getLayer() instanceof BaseLayer weighted
          && !(weighted instanceof BatchNormalization)) {
        weighted.setRegularization(new ArrayList<>(List.of(new WeightDecay(coefficient, true))));
      }
    }
  }

  private static InputType inputType(ModelSpec spec, List<Integer> shape) {
    if (spec.kind() == ModelSpec.Kind.CNN) {
      return InputType.convolutionalFlat(shape.get(1), shape.get(2), shape.get(0));
    }
    return InputType.feedForward(shape.stream().mapToLong(Integer::longValue)
        .reduce(1, Math::multiplyExact));
  }

  private static IUpdater updater(TrainConfig.Updater updater, ISchedule rate) {
    return switch (updater.kind()) {
      case ADAM -> new Adam(rate);
      case NESTEROVS -> new Nesterovs(rate, 0.9);
      case SGD -> new Sgd(rate);
    };
  }

  /**
   * Sets the learning-rate schedule of a new network for training with {@code stepsPerEpoch}
   * minibatch steps per worker and epoch, the rate multiplied by {@code workerFactor} after a
   * ramp of {@code workerWarmupSteps} steps ({@link WorkerScaledSchedule}). Call before the first
   * fit: it replaces the layers' updater configuration, which the workers rebuild the network
   * from.
   */
  public static void scheduleLearningRate(MultiLayerNetwork network, TrainConfig.Updater updater,
      long stepsPerEpoch, double workerFactor, int workerWarmupSteps) {
    ISchedule schedule = LearningRateSchedule.of(updater, stepsPerEpoch);
    if (workerFactor != 1) {
      schedule = new WorkerScaledSchedule(schedule, workerFactor, workerWarmupSteps);
    }
    for (NeuralNetConfiguration layer : network.getLayerWiseConfigurations().getConfs()) {
      if (layer.getLayer() instanceof BaseLayer base && base.getIUpdater() != null) {
        base.setIUpdater(updater(updater, schedule));
      }
    }
  }

  /** The output width of a network, for checks against a table's class count. */
  public static long outputWidth(MultiLayerNetwork network) {
    return network.getOutputLayer().getParam("b").length();
  }
}
