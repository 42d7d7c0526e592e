package dev.sparkdistill.common.model;

import dev.sparkdistill.common.config.InvalidConfigException;
import dev.sparkdistill.common.config.Settings;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.activations.Activation;
import org.deeplearning4j.nn.weights.WeightInit;

/** The student or teacher architecture, from {@code train.model}. */
public record ModelSpec(Kind kind, List<Integer> hidden, Activation activation, double dropout,
    WeightInit weightInit, List<Integer> convChannels, int kernelSize, int poolSize,
    boolean batchNorm, boolean globalPooling, String initFrom) implements Serializable {

  public enum Kind { MLP, CNN }

  /** A network without batch normalization or global pooling. */
  public ModelSpec(Kind kind, List<Integer> hidden, Activation activation, double dropout,
      WeightInit weightInit, List<Integer> convChannels, int kernelSize, int poolSize,
      String initFrom) {
    this(kind, hidden, activation, dropout, weightInit, convChannels, kernelSize, poolSize,
        false, false, initFrom);
  }

  /** Activations offered, by config spelling. */
  private static final List<String> ACTIVATIONS =
      List.of("relu", "leakyrelu", "tanh", "sigmoid", "elu", "gelu", "swish");
  private static final List<String> WEIGHT_INITS = List.of("xavier", "relu", "uniform");

  public static ModelSpec from(Settings s, String prefix) {
    Kind kind = s.choice(prefix + "kind", Kind.class);
    List<Integer> hidden = s.integerList(prefix + "hidden", 1);
    String activation = s.string(prefix + "activation");
    if (!ACTIVATIONS.contains(activation)) {
      throw Settings.invalid(prefix + "activation", "one of " + ACTIVATIONS, activation);
    }
    String init = s.string(prefix + "weight-init");
    if (!WEIGHT_INITS.contains(init)) {
      throw Settings.invalid(prefix + "weight-init", "one of " + WEIGHT_INITS, init);
    }
    List<Integer> channels = s.integerList(prefix + "conv-channels", 1);
    if (kind == Kind.CNN && channels.isEmpty()) {
      throw new InvalidConfigException(prefix + "conv-channels must list at least one block "
          + "when " + prefix + "kind = cnn");
    }
    boolean batchNorm = s.bool(prefix + "batch-norm");
    boolean globalPooling = s.bool(prefix + "global-pooling");
    for (String key : List.of("batch-norm", "global-pooling")) {
      if (kind != Kind.CNN && s.bool(prefix + key)) {
        throw new InvalidConfigException(prefix + key + " = true needs " + prefix + "kind = cnn "
            + "(it acts on convolution outputs), but the kind is mlp");
      }
    }
    return new ModelSpec(kind, hidden, Activation.valueOf(activation.toUpperCase(Locale.ROOT)),
        s.fraction(prefix + "dropout", 0, 1, true),
        WeightInit.valueOf(init.toUpperCase(Locale.ROOT)), channels,
        s.integerAtLeast(prefix + "kernel-size", 1), s.integerAtLeast(prefix + "pool-size", 1),
        batchNorm, globalPooling, s.string(prefix + "init-from"));
  }
}
