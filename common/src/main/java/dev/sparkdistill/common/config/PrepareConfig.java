package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import dev.sparkdistill.common.data.BatchName;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.data.Split;
import java.io.Serializable;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The validated configuration of the {@code prepare} job (section {@code prepare}). */
public record PrepareConfig(
    SourceFormat format,
    String output,
    WriteMode mode,
    String batch,
    Map<Split, String> inputs,
    Map<Split, String> idxLabels,
    String missingInputHint,
    CsvOptions csv,
    ParquetOptions parquet,
    ImageOptions images,
    List<Integer> featureShape,
    List<String> classNames,
    int classCount,
    FeatureScaling scaling,
    String scalingFrom,
    double validationFraction,
    double labeledFraction,
    long seed,
    double maxRejectedFraction,
    int rowsPerFile,
    String configDigest) implements Serializable {

  public static final String SECTION = "prepare";

  public static PrepareConfig from(Config config) {
    Settings s = new Settings(config);
    String p = SECTION + ".";
    SourceFormat format = s.choice(p + "format", SourceFormat.class);
    Map<Split, String> inputs = splitPaths(s, p + "input.", "");
    if (!inputs.containsKey(Split.TRAIN)) {
      throw new InvalidConfigException(
          p + "input.train is required: the training rows (a file or directory)");
    }
    Map<Split, String> idxLabels = splitPaths(s, p + "idx.", "-labels");
    for (Split split : idxLabels.keySet()) {
      if (!inputs.containsKey(split)) {
        throw new InvalidConfigException(p + "idx." + split.value() + "-labels is set but "
            + p + "input." + split.value() + " is not: labels need their images file");
      }
    }
    ImageOptions images = ImageOptions.from(s, p + "images.", format == SourceFormat.IMAGES);
    List<Integer> featureShape = s.integerList(p + "feature-shape", 1);
    if (format == SourceFormat.IMAGES && !featureShape.isEmpty()
        && !featureShape.equals(images.shape())) {
      throw new InvalidConfigException(p + "feature-shape is " + featureShape + " but "
          + p + "images gives channels, height and width " + images.shape() + "; leave "
          + p + "feature-shape empty with images");
    }
    List<String> classNames = s.stringList(p + "class-names");
    int classCount = classCount(s, p, classNames);
    if (classCount == 0 && !s.string(p + "batch").isEmpty()) {
      throw new InvalidConfigException(p + "batch needs " + p + "class-count or " + p
          + "class-names: the first batch fixes the table's classes, and a later batch may "
          + "bring a label the first one lacked");
    }
    return new PrepareConfig(
        format,
        s.required(p + "output", "where to write the examples table (a directory)"),
        s.choice(p + "mode", WriteMode.class),
        batch(s, p + "batch"),
        inputs,
        format == SourceFormat.IDX ? idxLabels : Map.of(),
        s.string(p + "input.missing-hint"),
        CsvOptions.from(s, p + "csv"),
        ParquetOptions.from(s, p + "parquet"),
        images,
        featureShape,
        classNames,
        classCount,
        scaling(s, p + "scaling."),
        scalingFrom(s, p + "scaling."),
        s.fraction(p + "validation-fraction", 0, 1, true),
        labeledFraction(s, p + "labeled-fraction"),
        s.integer(p + "seed"),
        s.fraction(p + "max-rejected-fraction", 0, 1, false),
        s.integerAtLeast(p + "rows-per-file", 1),
        ConfigRendering.digest(config, SECTION, "mode"));
  }

  private static String batch(Settings s, String key) {
    String batch = s.string(key);
    return batch.isEmpty() ? batch : BatchName.check(key, batch);
  }

  private static Map<Split, String> splitPaths(Settings s, String prefix, String suffix) {
    Map<Split, String> paths = new EnumMap<>(Split.class);
    for (Split split : Split.values()) {
      String path = s.string(prefix + split.value() + suffix);
      if (!path.isEmpty()) {
        paths.put(split, path);
      }
    }
    return Map.copyOf(paths);
  }

  private static int classCount(Settings s, String p, List<String> classNames) {
    long count = s.integer(p + "class-count");
    if (count == 1 || count < 0 || count > 1_000_000) {
      throw Settings.invalid(p + "class-count", "0 (inferred) or an integer from 2 to 1000000",
          count);
    }
    if (!classNames.isEmpty() && count != 0 && count != classNames.size()) {
      throw new InvalidConfigException(p + "class-count is " + count + " but " + p
          + "class-names lists " + classNames.size() + " names; give one of them or make them agree");
    }
    if (classNames.size() == 1) {
      throw Settings.invalid(p + "class-names", "empty or at least 2 names", classNames);
    }
    return count != 0 ? (int) count : classNames.size();
  }

  private static double labeledFraction(Settings s, String key) {
    double value = s.number(key);
    if (value <= 0 || value > 1) {
      throw Settings.invalid(key, "in (0, 1]", value);
    }
    return value;
  }

  /** The examples table whose recorded scaling to apply; refused together with a kind. */
  private static String scalingFrom(Settings s, String prefix) {
    String from = s.string(prefix + "from");
    if (!from.isEmpty() && s.choice(prefix + "kind", FeatureScaling.Kind.class)
        != FeatureScaling.Kind.NONE) {
      throw new InvalidConfigException("give " + prefix + "kind or " + prefix + "from, not "
          + "both: from applies the scaling another examples table recorded");
    }
    return from;
  }

  private static FeatureScaling scaling(Settings s, String prefix) {
    String kindKey = prefix + "kind";
    FeatureScaling.Kind kind = s.choice(kindKey, FeatureScaling.Kind.class);
    double multiply = s.number(prefix + "multiply");
    double add = s.number(prefix + "add");
    if (kind == FeatureScaling.Kind.LINEAR && multiply == 0) {
      throw Settings.invalid(prefix + "multiply", "non-zero", multiply);
    }
    if (kind.fitted() && (multiply != 1.0 || add != 0.0)) {
      throw new InvalidConfigException(prefix + "multiply and " + prefix + "add apply to kind "
          + "= linear only; kind = " + Settings.spelling(kind) + " fits each feature's own "
          + "offset and factor");
    }
    return kind == FeatureScaling.Kind.NONE ? FeatureScaling.NONE
        : new FeatureScaling(kind, multiply, add);
  }

  /** The input of {@code split}, when one was given. */
  public Optional<String> input(Split split) {
    return Optional.ofNullable(inputs.get(split));
  }

  /** Whether this run adds one batch to a table of batches rather than writing a whole table. */
  public boolean addsBatch() {
    return !batch.isEmpty();
  }

  /** Whether the validation split is carved out of the training rows. */
  public boolean carvesValidation() {
    return !inputs.containsKey(Split.VALIDATION) && validationFraction > 0;
  }
}
