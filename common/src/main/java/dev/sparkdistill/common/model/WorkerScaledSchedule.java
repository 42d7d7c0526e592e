package dev.sparkdistill.common.model;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A learning rate multiplied by the number of workers that average their parameters (the linear
 * scaling rule of Goyal et al. 2017), reached by a linear warm-up from the single-worker rate.
 * Averaging W workers' steps moves the weights about as far as one worker's step, so with the
 * single-worker rate W workers learn about 1/W as much per epoch; the warm-up keeps the larger
 * rate away from the first, steepest steps.
 *
 * <p>Iterations are a worker's own minibatch steps. Saved in the network's JSON (workers rebuild
 * the network from it), so it has a no-argument constructor and Jackson properties.
 */
public final class WorkerScaledSchedule implements ISchedule {
  @JsonProperty("base")
  private ISchedule base;
  @JsonProperty("factor")
  private double factor;
  @JsonProperty("warmupIterations")
  private int warmupIterations;

  /** For JSON deserialization of saved models. */
  public WorkerScaledSchedule() {
    this(null, 1, 0);
  }

  public WorkerScaledSchedule(@JsonProperty("base") ISchedule base,
      @JsonProperty("factor") double factor,
      @JsonProperty("warmupIterations") int warmupIterations) {
    this.base = base;
    this.factor = factor;
    this.warmupIterations = warmupIterations;
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    double ramp = warmupIterations <= 0 || iteration >= warmupIterations ? 1
        : (double) iteration / warmupIterations;
    return base.valueAt(iteration, epoch) * (1 + (factor - 1) * ramp);
  }

  @Override
  public ISchedule clone() {
    return new WorkerScaledSchedule(base.clone(), factor, warmupIterations);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof WorkerScaledSchedule s && Objects.equals(base, s.base)
        && factor == s.factor && warmupIterations == s.warmupIterations;
  }

  @Override
  public int hashCode() {
    return Objects.hash(base, factor, warmupIterations);
  }

  @Override
  public String toString() {
    return "WorkerScaledSchedule(" + base + " x " + factor + " after " + warmupIterations
        + " warm-up iterations)";
  }
}
