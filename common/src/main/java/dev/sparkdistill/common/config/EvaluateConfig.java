package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import dev.sparkdistill.common.data.Split;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The validated configuration of the {@code evaluate} job (section {@code evaluate}). */
public record EvaluateConfig(
    String input,
    String output,
    WriteMode mode,
    Split split,
    String teacher,
    List<ModelInput> teacherInputs,
    Map<String, String> models,
    int topK,
    int calibrationBins,
    int batchSize,
    ScoringEngine engine,
    String batchColumn,
    String configDigest) implements Serializable {

  public static final String SECTION = "evaluate";
  public static final String TEACHER = "teacher";

  public static EvaluateConfig from(Config config) {
    Settings s = new Settings(config);
    String p = SECTION + ".";
    Map<String, String> models = new LinkedHashMap<>();
    for (String entry : s.stringList(p + "models")) {
      int eq = entry.indexOf('=');
      String name = eq > 0 ? entry.substring(0, eq).trim() : "";
      String path = eq > 0 ? entry.substring(eq + 1).trim() : "";
      if (name.isEmpty() || path.isEmpty() || name.equals(TEACHER)
          || models.put(name, path) != null) {
        throw Settings.invalid(p + "models", "a list of distinct \"name=path\" entries (name not"
            + " \"teacher\")", entry);
      }
    }
    String teacher = s.string(p + "teacher");
    if (teacher.isEmpty() && models.isEmpty()) {
      throw new InvalidConfigException(p + "teacher and " + p + "models are both empty: give at "
          + "least one model to evaluate");
    }
    return new EvaluateConfig(
        s.required(p + "input", "the examples or targets table to evaluate on"),
        s.required(p + "output", "where to write report.json and report.html (a directory)"),
        s.choice(p + "mode", WriteMode.class),
        s.choice(p + "split", Split.class),
        teacher,
        ModelInput.listFrom(config, p + "teacher-inputs",
            teacher.isEmpty() ? List.of() : List.of(teacher)),
        java.util.Collections.unmodifiableMap(models),
        s.integerAtLeast(p + "top-k", 1),
        s.integerAtLeast(p + "calibration-bins", 1),
        s.integerAtLeast(p + "batch-size", 1),
        s.choice(p + "engine", ScoringEngine.class),
        s.string(p + "batch-column"),
        ConfigRendering.digest(config, SECTION, "mode", "batch-size"));
  }

  /** Every model by name, the teacher first when there is one, then the others as listed. */
  public Map<String, String> allModels() {
    Map<String, String> all = new LinkedHashMap<>();
    if (!teacher.isEmpty()) {
      all.put(TEACHER, teacher);
    }
    all.putAll(models);
    return all;
  }
}
