package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.manifest.TrainingLogEntry;
import java.util.List;

/**
 * How a model was trained, as its training directory records it: every epoch of
 * {@code training-log.json} and the epoch whose weights the model holds (lowest validation loss).
 */
public record TrainingHistory(int bestEpoch, List<TrainingLogEntry> epochs) {
  public TrainingHistory {
    epochs = List.copyOf(epochs);
  }
}
