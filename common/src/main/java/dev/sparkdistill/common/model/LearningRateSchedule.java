package dev.sparkdistill.common.model;

import dev.sparkdistill.common.config.TrainConfig;
import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The learning rate of {@code train.updater}: exponential, cosine or step decay over the epochs,
 * after an optional linear warm-up.
 *
 * <p>DL4J asks a schedule for the rate at (iteration, epoch). The epoch is exact (the jobs set it
 * before each epoch); the iteration counts the minibatch steps of one worker and so only says how
 * far into the epoch a step is when the steps per epoch are known ({@code stepsPerEpoch} &gt; 0,
 * set by the train job once it knows rows and workers). The position within the epoch is clamped
 * to [epoch, epoch + 1), so a miscount can shift a step's rate only within its own epoch. Without
 * it the cosine and the warm-up move once per epoch.
 *
 * <p>Saved in the network's JSON (workers rebuild the network from it), so it has a no-argument
 * constructor and Jackson properties.
 */
public final class LearningRateSchedule implements ISchedule {
  @JsonProperty("shape")
  private TrainConfig.Schedule shape;
  @JsonProperty("rate")
  private double rate;
  @JsonProperty("decayPerEpoch")
  private double decayPerEpoch;
  @JsonProperty("stepEpochs")
  private int stepEpochs;
  @JsonProperty("stepFactor")
  private double stepFactor;
  @JsonProperty("warmupEpochs")
  private double warmupEpochs;
  @JsonProperty("epochs")
  private int epochs;
  @JsonProperty("stepsPerEpoch")
  private long stepsPerEpoch;

  /** For JSON deserialization of saved models. */
  public LearningRateSchedule() {
    this(TrainConfig.Schedule.EXPONENTIAL, 0, 1, 1, 1, 0, 1, 0);
  }

  public LearningRateSchedule(@JsonProperty("shape") TrainConfig.Schedule shape,
      @JsonProperty("rate") double rate, @JsonProperty("decayPerEpoch") double decayPerEpoch,
      @JsonProperty("stepEpochs") int stepEpochs, @JsonProperty("stepFactor") double stepFactor,
      @JsonProperty("warmupEpochs") double warmupEpochs, @JsonProperty("epochs") int epochs,
      @JsonProperty("stepsPerEpoch") long stepsPerEpoch) {
    this.shape = shape;
    this.rate = rate;
    this.decayPerEpoch = decayPerEpoch;
    this.stepEpochs = stepEpochs;
    this.stepFactor = stepFactor;
    this.warmupEpochs = warmupEpochs;
    this.epochs = epochs;
    this.stepsPerEpoch = stepsPerEpoch;
  }

  /** The schedule {@code updater} describes, with {@code stepsPerEpoch} steps (0 = unknown). */
  public static LearningRateSchedule of(TrainConfig.Updater updater, long stepsPerEpoch) {
    return new LearningRateSchedule(updater.schedule(), updater.learningRate(),
        updater.decayPerEpoch(), updater.stepEpochs(), updater.stepFactor(),
        updater.warmupEpochs(), updater.epochs(), stepsPerEpoch);
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    double position = position(iteration, epoch);
    double value = switch (shape) {
      case EXPONENTIAL -> rate * Math.pow(decayPerEpoch, epoch);
      case STEP -> rate * Math.pow(stepFactor, epoch / stepEpochs);
      case COSINE -> {
        double span = epochs - warmupEpochs;
        double done = span <= 0 ? 1 : Math.min(1, Math.max(0, (position - warmupEpochs) / span));
        yield rate * 0.5 * (1 + Math.cos(Math.PI * done));
      }
    };
    return value * warmup(position, epoch);
  }

  /** Epochs done at this step: the epoch plus, when steps are counted, the share of it done. */
  private double position(int iteration, int epoch) {
    if (stepsPerEpoch <= 0) {
      return epoch;
    }
    return Math.min(epoch + 1 - 1e-9, Math.max(epoch, (double) iteration / stepsPerEpoch));
  }

  /**
   * The warm-up factor: the share of the warm-up done once this step is taken, so the first step
   * already moves (by 1 / warm-up steps of the rate).
   */
  private double warmup(double position, int epoch) {
    if (warmupEpochs <= 0) {
      return 1;
    }
    double done = stepsPerEpoch > 0 ? position + 1.0 / stepsPerEpoch : epoch + 1;
    return Math.min(1, done / warmupEpochs);
  }

  @Override
  public ISchedule clone() {
    return new LearningRateSchedule(shape, rate, decayPerEpoch, stepEpochs, stepFactor,
        warmupEpochs, epochs, stepsPerEpoch);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof LearningRateSchedule s && shape == s.shape && rate == s.rate
        && decayPerEpoch == s.decayPerEpoch && stepEpochs == s.stepEpochs
        && stepFactor == s.stepFactor && warmupEpochs == s.warmupEpochs && epochs == s.epochs
        && stepsPerEpoch == s.stepsPerEpoch;
  }

  @Override
  public int hashCode() {
    return Objects.hash(shape, rate, decayPerEpoch, stepEpochs, stepFactor, warmupEpochs, epochs,
        stepsPerEpoch);
  }

  @Override
  public String toString() {
    return "LearningRateSchedule(" + shape + " from " + rate + ", warm-up " + warmupEpochs
        + " epochs, " + epochs + " epochs, " + stepsPerEpoch + " steps per epoch)";
  }
}
