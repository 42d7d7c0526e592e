package dev.sparkdistill.common.loss;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The knowledge-distillation loss of Hinton et al. (2015), per row:
 *
 * <pre>L = (1 - alpha) * CE(y, softmax(s)) + alpha * u * T^2 * KL(softmax(z / T) || softmax(s / T))</pre>
 *
 * on student logits s (the output layer's activation must be IDENTITY). Labels carry
 * {@code 2C + 1} columns, laid out by {@link DistillationLabels}: the hard target y (one-hot,
 * scaled by the class weight; all zero for an unlabeled row), the teacher logits z, and the
 * weight u of the KD term (0 for a row without teacher score). So an unlabeled row contributes
 * the KD term only and a row without teacher score the CE term only. Log-softmax is computed
 * with the row maximum subtracted, so large logits do not overflow.
 *
 * <p>With label smoothing e the hard target becomes {@code (1 - e) y + e sum(y) / C}: the same
 * total weight, spread over every class by e (Szegedy et al. 2016).
 *
 * <p>Gradient with respect to s: {@code (1 - alpha) (sum(y) softmax(s) - y) + alpha u T
 * (softmax(s / T) - softmax(z / T))}.
 */
public final class DistillationLoss implements ILossFunction {
  @JsonProperty("alpha")
  private double alpha;
  @JsonProperty("temperature")
  private double temperature;
  /** Absent from models saved before it existed, which read as 0. */
  @JsonProperty("labelSmoothing")
  private double labelSmoothing;

  /** For JSON deserialization of saved models. */
  public DistillationLoss() {
    this(0.0, 1.0);
  }

  public DistillationLoss(double alpha, double temperature) {
    this(alpha, temperature, 0);
  }

  public DistillationLoss(@JsonProperty("alpha") double alpha,
      @JsonProperty("temperature") double temperature,
      @JsonProperty("labelSmoothing") double labelSmoothing) {
    if (!(alpha >= 0 && alpha <= 1)) {
      throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
      throw new IllegalArgumentException("label smoothing must be in [0, 1), got "
          + labelSmoothing);
    }
    this.alpha = alpha + 0.0; // folds -0.0 into 0.0, so equal losses hash alike
    this.temperature = temperature;
    this.labelSmoothing = labelSmoothing + 0.0;
  }

  public double alpha() {
    return alpha;
  }

  public double temperature() {
    return temperature;
  }

  public double labelSmoothing() {
    return labelSmoothing;
  }

  /** Per-row scores, shape [N, 1]. */
  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activation,
      INDArray mask) {
    Parts p = new Parts(labels, activation.getActivation(preOutput.dup(), true),
        labelSmoothing);
    INDArray ce = p.y.mul(logSoftmax(p.s)).sum(true, 1).negi();
    INDArray softTeacher = logSoftmax(p.z.div(temperature));
    INDArray kl = Transforms.exp(softTeacher).muli(softTeacher.sub(logSoftmax(p.s.div(temperature))))
        .sum(true, 1);
    INDArray score = ce.muli(1 - alpha).addi(kl.muli(p.u).muli(alpha * temperature * temperature));
    return mask == null ? score : score.muliColumnVector(mask.reshape(mask.length(), 1)
        .castTo(score.dataType()));
  }

  @Override
  public double computeScore(INDArray labels, INDArray preOutput, IActivation activation,
      INDArray mask, boolean average) {
    double sum = computeScoreArray(labels, preOutput, activation, mask).sumNumber().doubleValue();
    return average ? sum / preOutput.size(0) : sum;
  }

  @Override
  public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activation,
      INDArray mask) {
    Parts p = new Parts(labels, activation.getActivation(preOutput.dup(), true),
        labelSmoothing);
    INDArray hard = softmax(p.s).muliColumnVector(p.y.sum(true, 1)).subi(p.y).muli(1 - alpha);
    INDArray soft = softmax(p.s.div(temperature)).subi(softmax(p.z.div(temperature)))
        .muliColumnVector(p.u).muli(alpha * temperature);
    INDArray dLda = hard.addi(soft);
    if (mask != null) {
      dLda.muliColumnVector(mask.reshape(mask.length(), 1).castTo(dLda.dataType()));
    }
    return activation.backprop(preOutput.dup(), dLda).getFirst();
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
      IActivation activation, INDArray mask, boolean average) {
    return new Pair<>(computeScore(labels, preOutput, activation, mask, average),
        computeGradient(labels, preOutput, activation, mask));
  }

  @Override
  public String name() {
    return toString();
  }

  static INDArray logSoftmax(INDArray x) {
    INDArray shifted = x.subColumnVector(x.max(true, 1));
    INDArray logSum = Transforms.log(Transforms.exp(shifted).sum(true, 1), false);
    return shifted.subiColumnVector(logSum);
  }

  static INDArray softmax(INDArray x) {
    INDArray e = Transforms.exp(x.subColumnVector(x.max(true, 1)), false);
    return e.diviColumnVector(e.sum(true, 1));
  }

  /** The three blocks of a label row and the student logits. */
  private static final class Parts {
    final INDArray y;
    final INDArray z;
    final INDArray u;
    final INDArray s;

    Parts(INDArray labels, INDArray logits, double smoothing) {
      long c = logits.size(1);
      if (labels.size(1) != 2 * c + 1) {
        throw new IllegalArgumentException("distillation labels need " + (2 * c + 1)
            + " columns for " + c + " classes ([hard | teacher logits | kd weight]), got "
            + labels.size(1));
      }
      INDArray typed = labels.castTo(logits.dataType());
      y = smoothed(typed.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)), smoothing);
      z = typed.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c));
      u = typed.get(NDArrayIndex.all(), NDArrayIndex.interval(2 * c, 2 * c + 1));
      s = logits;
    }

    /** The hard targets with {@code e} of each row's weight spread evenly over the classes. */
    private static INDArray smoothed(INDArray hard, double e) {
      if (e == 0) {
        return hard;
      }
      INDArray spread = hard.sum(true, 1).muli(e / hard.size(1));
      return hard.mul(1 - e).addiColumnVector(spread);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DistillationLoss other && Double.compare(other.alpha, alpha) == 0
        && Double.compare(other.temperature, temperature) == 0
        && Double.compare(other.labelSmoothing, labelSmoothing) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(alpha, temperature, labelSmoothing);
  }

  @Override
  public String toString() {
    return "DistillationLoss(alpha=" + alpha + ", T=" + temperature
        + (labelSmoothing > 0 ? ", label smoothing " + labelSmoothing : "") + ")";
  }
}
