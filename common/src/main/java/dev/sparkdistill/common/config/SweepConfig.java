package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.sparkdistill.common.data.Split;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The validated configuration of the {@code sweep} job (section {@code sweep}): a grid of
 * temperatures and alphas, each point a student trained with section {@code train} from the
 * same targets table, so the teacher never runs again.
 */
public record SweepConfig(
    String output,
    WriteMode mode,
    List<Point> points,
    Split split,
    String teacher) {

  public static final String SECTION = "sweep";

  /** One student of the grid: its directory name under the output and its training config. */
  public record Point(String name, double temperature, double alpha, TrainConfig train) {}

  public static SweepConfig from(Config config) {
    Settings s = new Settings(config);
    String p = SECTION + ".";
    String output = s.required(p + "output",
        "where to write the grid's students and the comparison (a directory)");
    WriteMode mode = s.choice(p + "mode", WriteMode.class);
    List<Double> temperatures = nonEmpty(s, p + "temperatures");
    for (double t : temperatures) {
      if (t <= 0) {
        throw Settings.invalid(p + "temperatures", "a list of temperatures > 0", t);
      }
    }
    List<Double> alphas = nonEmpty(s, p + "alphas");
    for (double a : alphas) {
      if (a < 0 || a > 1) {
        throw Settings.invalid(p + "alphas", "a list of alphas in [0, 1]", a);
      }
    }
    Split split = s.choice(p + "split", Split.class);
    if (split == Split.TRAIN) {
      throw Settings.invalid(p + "split", "validation or test (the students learn the train "
          + "split)", "train");
    }
    List<Point> points = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    for (double alpha : alphas) {
      // With alpha = 0 the temperature has no effect: one hard-label baseline, not one per T.
      for (double temperature : alpha == 0 ? temperatures.subList(0, 1) : temperatures) {
        String name = pointName(temperature, alpha);
        if (names.add(name)) {
          points.add(new Point(name, temperature, alpha,
              TrainConfig.from(forPoint(config, output, name, temperature, alpha, mode))));
        }
      }
    }
    return new SweepConfig(output, mode, List.copyOf(points), split, s.string(p + "teacher"));
  }

  /** The targets table every student trains from (train.input). */
  public String input() {
    return points.get(0).train().input();
  }

  /** {@code T4-a0.7}, or {@code baseline} for alpha = 0. */
  static String pointName(double temperature, double alpha) {
    return alpha == 0 ? "baseline"
        : "T" + Settings.show(temperature) + "-a" + Settings.show(alpha);
  }


  private static Config forPoint(Config config, String output, String name, double temperature,
      double alpha, WriteMode mode) {
    return config
        .withValue(TrainConfig.SECTION + ".output",
            ConfigValueFactory.fromAnyRef(output + "/" + name))
        .withValue(TrainConfig.SECTION + ".temperature", ConfigValueFactory.fromAnyRef(temperature))
        .withValue(TrainConfig.SECTION + ".alpha", ConfigValueFactory.fromAnyRef(alpha))
        .withValue(TrainConfig.SECTION + ".mode",
            ConfigValueFactory.fromAnyRef(Settings.spelling(mode)))
        .withValue(TrainConfig.SECTION + ".resume", ConfigValueFactory.fromAnyRef(false));
  }

  private static List<Double> nonEmpty(Settings s, String key) {
    List<Double> values = s.numberList(key);
    if (values.isEmpty()) {
      throw new InvalidConfigException(key + " is empty: give at least one value");
    }
    return values;
  }
}
