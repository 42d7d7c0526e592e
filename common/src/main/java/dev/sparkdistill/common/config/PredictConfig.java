package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The validated configuration of the {@code predict} job (section {@code predict}). */
public record PredictConfig(
    String input,
    String output,
    WriteMode mode,
    String model,
    int topK,
    List<String> passthrough,
    List<String> splits,
    String batchColumn,
    int batchSize,
    ScoringEngine engine,
    String configDigest) implements Serializable {

  public static final String SECTION = "predict";
  /** The predictions table's own columns, besides the partition columns. */
  public static final String ID = "id";
  public static final String PREDICTION = "prediction";
  public static final String PREDICTION_NAME = "prediction_name";
  public static final String PROBABILITY = "probability";
  public static final String TOP_K = "top_k";
  public static final List<String> COLUMNS = List.of(ID, PREDICTION, PREDICTION_NAME,
      PROBABILITY, TOP_K);

  public boolean incremental() {
    return !batchColumn.isEmpty();
  }

  public static PredictConfig from(Config config) {
    Settings s = new Settings(config);
    String p = SECTION + ".";
    String batchColumn = s.string(p + "batch-column");
    List<String> passthrough = s.stringList(p + "passthrough");
    Set<String> taken = new HashSet<>(COLUMNS);
    taken.add("split");
    if (!batchColumn.isEmpty()) {
      taken.add(batchColumn);
    }
    Set<String> seen = new HashSet<>();
    for (String column : passthrough) {
      if (column.isBlank() || taken.contains(column) || !seen.add(column)) {
        throw Settings.invalid(p + "passthrough", "distinct input column names other than the "
            + "predictions' own (" + String.join(", ", COLUMNS) + ", split"
            + (batchColumn.isEmpty() ? "" : ", " + batchColumn) + ")", passthrough);
      }
    }
    List<String> splits = s.stringList(p + "splits");
    if (splits.stream().anyMatch(String::isBlank)) {
      throw Settings.invalid(p + "splits", "a list of split names", splits);
    }
    return new PredictConfig(
        s.required(p + "input", "the examples table to score (written by prepare)"),
        s.required(p + "output", "where to write the predictions table (a directory)"),
        s.choice(p + "mode", WriteMode.class),
        s.required(p + "model", "the model file to predict with (model.zip of train or .onnx)"),
        s.integerAtLeast(p + "top-k", 0),
        List.copyOf(passthrough),
        List.copyOf(splits),
        batchColumn,
        s.integerAtLeast(p + "batch-size", 1),
        s.choice(p + "engine", ScoringEngine.class),
        ConfigRendering.digest(config, SECTION, "mode", "batch-size"));
  }
}
