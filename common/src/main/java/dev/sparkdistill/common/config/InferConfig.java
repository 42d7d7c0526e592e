package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.common.train.Augmentation;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The validated configuration of the {@code infer} job (section {@code infer}). */
public record InferConfig(
    String input,
    String output,
    WriteMode mode,
    List<String> teachers,
    List<ModelInput> teacherInputs,
    Ensemble.Rule ensemble,
    boolean keepTeacherLogits,
    Form form,
    int topK,
    boolean includeFeatures,
    int batchSize,
    List<Split> splits,
    double minConfidence,
    int maxPerClass,
    String batchColumn,
    ScoringEngine engine,
    int views,
    Augmentation augment,
    long seed,
    String configDigest) implements Serializable {

  public static final String SECTION = "infer";

  /** Whether some scored rows may be set aside in {@code _filtered}. */
  public boolean setsRowsAside() {
    return minConfidence > 0 || maxPerClass > 0;
  }

  public boolean incremental() {
    return !batchColumn.isEmpty();
  }

  /** Whether each example is also scored as {@code views} augmented views. */
  public boolean scoresViews() {
    return views > 1;
  }

  /** How teacher scores are stored. */
  public enum Form { DENSE, TOP_K }


  public static InferConfig from(Config config) {
    Settings s = new Settings(config);
    String p = SECTION + ".";
    List<String> teachers = s.stringList(p + "teachers");
    if (teachers.isEmpty() || teachers.stream().anyMatch(String::isBlank)) {
      throw Settings.invalid(p + "teachers", "a list of one or more model files", teachers);
    }
    int views = s.integerAtLeast(p + "views", 1);
    Augmentation augment = new Augmentation(s.integerAtLeast(p + "augment.translate", 0),
        s.bool(p + "augment.flip"), s.integerAtLeast(p + "augment.cutout", 0));
    if (views > 1 && !augment.active()) {
      throw new InvalidConfigException(p + "views = " + views + " scores augmented views, but "
          + p + "augment turns no transform on (translate, flip, cutout); set one, or views = 1");
    }
    if (views == 1 && augment.active()) {
      throw new InvalidConfigException(p + "augment applies to the views of " + p + "views, "
          + "which is 1 (the rows as they are); set views to 2 or more, or turn augment off");
    }
    Form form = s.choice(p + "form", Form.class);
    if (views > 1 && form == Form.TOP_K) {
      throw new InvalidConfigException(p + "views = " + views + " stores every view's logits "
          + "densely; set " + p + "form = dense");
    }
    return new InferConfig(
        s.required(p + "input", "the examples table to score"),
        s.required(p + "output", "where to write the targets table (a directory)"),
        s.choice(p + "mode", WriteMode.class),
        teachers,
        ModelInput.listFrom(config, p + "teacher-inputs", teachers),
        s.choice(p + "ensemble", Ensemble.Rule.class),
        s.bool(p + "keep-teacher-logits"),
        form,
        s.integerAtLeast(p + "top-k", 1),
        s.bool(p + "include-features"),
        s.integerAtLeast(p + "batch-size", 1),
        splits(s, p + "splits"),
        s.fraction(p + "min-confidence", 0, 1, false),
        s.integerAtLeast(p + "max-per-class", 0),
        s.string(p + "batch-column"),
        s.choice(p + "engine", ScoringEngine.class),
        views,
        augment,
        s.integer(p + "seed"),
        ConfigRendering.digest(config, SECTION, "mode", "batch-size"));
  }

  private static List<Split> splits(Settings s, String key) {
    List<Split> splits = new ArrayList<>();
    for (String name : s.stringList(key)) {
      Split split = null;
      for (Split candidate : Split.values()) {
        if (candidate.value().equals(name)) {
          split = candidate;
        }
      }
      if (split == null) {
        throw Settings.invalid(key, "a list of train, validation, test", s.stringList(key));
      }
      splits.add(split);
    }
    return List.copyOf(splits);
  }
}
