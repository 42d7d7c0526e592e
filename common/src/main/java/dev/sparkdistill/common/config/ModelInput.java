package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a teacher exported from another framework expects as input, where that differs from the
 * examples table's rows: the rows are taken back to the raw values prepare read (its recorded
 * scaling undone), then each value becomes {@code (raw * scale - mean[c]) / std[c]} for its
 * channel {@code c}, and the rows are fed channels last when the layout says so.
 *
 * @param teacher the model file, as listed in the teachers
 * @param mean per channel, or empty for 0
 * @param std per channel, or empty for 1
 */
public record ModelInput(String teacher, Layout layout, double scale, List<Double> mean,
    List<Double> std) implements Serializable {

  public enum Layout {
    /** Channels last when the model's declared input shape says so, else channels first. */
    AUTO,
    /** Channels first: [batch, channels, height, width], as the examples are stored. */
    NCHW,
    /** Channels last: [batch, height, width, channels], as TensorFlow and Keras export. */
    NHWC
  }

  private static final Config DEFAULTS = ConfigFactory.parseString(
      "layout = auto, scale = 1.0, mean = [], std = []");

  /** Whether the model takes the rows' values as they are stored. */
  public boolean keepsValues() {
    return scale == 1.0 && mean.isEmpty() && std.isEmpty();
  }

  /**
   * The list at {@code key}: objects {@code { teacher = FILE, layout, scale, mean, std }}, each
   * naming one of {@code teachers} once.
   */
  static List<ModelInput> listFrom(Config config, String key, List<String> teachers) {
    List<? extends Config> objects;
    try {
      objects = config.getConfigList(key);
    } catch (ConfigException.WrongType e) {
      throw new InvalidConfigException(key + " must be a list of objects { teacher = FILE, "
          + "layout = auto|nchw|nhwc, scale = 1.0, mean = [...], std = [...] }: "
          + e.getMessage());
    }
    List<ModelInput> inputs = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      String at = key + "[" + i + "]";
      Config object = objects.get(i).withFallback(DEFAULTS);
      Settings s = new Settings(object);
      for (String name : object.root().keySet()) {
        if (!List.of("teacher", "layout", "scale", "mean", "std").contains(name)) {
          throw new InvalidConfigException(at + "." + name + " is not a key of a teacher "
              + "input; the keys are teacher, layout, scale, mean and std");
        }
      }
      String teacher = object.hasPath("teacher") ? object.getString("teacher").trim() : "";
      if (!teachers.contains(teacher)) {
        throw new InvalidConfigException(at + ".teacher = '" + teacher + "' is not one of "
            + "the teachers " + teachers);
      }
      if (inputs.stream().anyMatch(input -> input.teacher().equals(teacher))) {
        throw new InvalidConfigException(at + ".teacher = '" + teacher + "' is described "
            + "twice");
      }
      Layout layout;
      try {
        layout = s.choice("layout", Layout.class);
      } catch (InvalidConfigException e) {
        throw new InvalidConfigException(at + "." + e.getMessage());
      }
      double scale;
      List<Double> mean;
      List<Double> std;
      try {
        scale = s.number("scale");
        mean = s.numberList("mean");
        std = s.numberList("std");
      } catch (InvalidConfigException e) {
        throw new InvalidConfigException(at + "." + e.getMessage());
      }
      if (!(scale > 0)) {
        throw Settings.invalid(at + ".scale", "a positive number", scale);
      }
      if (!std.isEmpty() && !mean.isEmpty() && std.size() != mean.size()) {
        throw new InvalidConfigException(at + ".mean has " + mean.size() + " values and "
            + at + ".std " + std.size() + "; give one per channel");
      }
      if (std.stream().anyMatch(v -> !(v > 0) || v.isInfinite())) {
        throw Settings.invalid(at + ".std", "positive numbers", std);
      }
      inputs.add(new ModelInput(teacher, layout, scale, List.copyOf(mean), List.copyOf(std)));
    }
    return List.copyOf(inputs);
  }

  /** The description for {@code teacher}, or {@link #asStored}. */
  public static ModelInput of(List<ModelInput> inputs, String teacher) {
    return inputs.stream().filter(input -> input.teacher().equals(teacher)).findFirst()
        .orElse(asStored(teacher));
  }

  /** A model fed the rows as stored, channels placed by its declared shape. */
  public static ModelInput asStored(String model) {
    return new ModelInput(model, Layout.AUTO, 1.0, List.of(), List.of());
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "layout %s, scale %s, mean %s, std %s",
        Settings.spelling(layout), Settings.show(scale), mean, std);
  }
}
