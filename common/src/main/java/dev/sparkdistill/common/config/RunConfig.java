package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The validated configuration of the {@code run} pipeline (section {@code run}): its steps, each
 * a job with its config file, its overrides and its write mode.
 *
 * @param deprecations one line per step written in the old command-line form, for the log
 */
public record RunConfig(List<Step> steps, List<String> deprecations) implements Serializable {
  public static final String SECTION = "run";
  /** The jobs a step may run. */
  public static final List<String> JOBS = List.of("prepare", "train", "infer", "evaluate",
      "sweep", "predict");
  private static final String KEY = SECTION + ".steps";

  /**
   * One step: {@code { job = train, config = conf/x.conf, set { train.epochs = 5 }, mode =
   * overwrite }}.
   *
   * @param config the job's HOCON file, any Hadoop path; empty for none
   * @param settings the overrides as {@code key=value} lines, as {@code --set} takes them
   * @param mode the write mode; empty for {@code refresh}, the pipeline's default
   */
  public record Step(String job, String config, List<String> settings, Optional<WriteMode> mode)
      implements Serializable {
    /** How logs and errors name the step, close to the command line it stands for. */
    public String describe() {
      StringBuilder line = new StringBuilder(job);
      if (!config.isEmpty()) {
        line.append(" --config ").append(config);
      }
      settings.forEach(s -> line.append(" --set ").append(s));
      mode.ifPresent(m -> line.append(" --mode ").append(Settings.spelling(m)));
      return line.toString();
    }

    /** The overrides with the mode applied to the job's own section last. */
    public List<String> settingsWithMode() {
      List<String> all = new ArrayList<>(settings);
      all.add(job + ".mode=" + Settings.spelling(mode.orElse(WriteMode.REFRESH)));
      return List.copyOf(all);
    }
  }

  public static RunConfig from(Config config) {
    if (!config.hasPath(KEY) || config.getValue(KEY).valueType() != ConfigValueType.LIST) {
      throw Settings.invalid(KEY, "a list of steps", config.hasPath(KEY)
          ? config.getValue(KEY).unwrapped() : "nothing");
    }
    ConfigList list = config.getList(KEY);
    List<Step> steps = new ArrayList<>();
    List<String> deprecations = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String key = KEY + "[" + i + "]";
      ConfigValue value = list.get(i);
      if (value.valueType() == ConfigValueType.OBJECT) {
        steps.add(step(key, (ConfigObject) value));
      } else if (value.valueType() == ConfigValueType.STRING) {
        Step step = fromCommandLine(key, (String) value.unwrapped());
        steps.add(step);
        deprecations.add(key + " is a command line; write it as " + hocon(step) + " (the "
            + "command-line form will be removed in a later release)");
      } else {
        throw Settings.invalid(key, "a step such as { job = train, config = conf/x.conf }",
            value.unwrapped());
      }
    }
    if (steps.isEmpty()) {
      throw new InvalidConfigException(KEY + " is required: the pipeline's steps, e.g. "
          + "[{ job = prepare, config = conf/fashion-mnist.conf }]");
    }
    return new RunConfig(List.copyOf(steps), List.copyOf(deprecations));
  }

  private static Step step(String key, ConfigObject object) {
    for (String field : object.keySet()) {
      if (!List.of("job", "config", "set", "mode").contains(field)) {
        throw new InvalidConfigException(key + "." + field + " is not a step field; a step "
            + "has job, config, set and mode");
      }
    }
    Config step = object.toConfig();
    String job = job(key + ".job", step.hasPath("job") ? step.getValue("job") : null);
    String config = "";
    if (step.hasPath("config")) {
      if (step.getValue("config").valueType() != ConfigValueType.STRING) {
        throw Settings.invalid(key + ".config", "a config file path",
            step.getValue("config").unwrapped());
      }
      config = step.getString("config");
    }
    List<String> settings = new ArrayList<>();
    if (step.hasPath("set")) {
      if (step.getValue("set").valueType() != ConfigValueType.OBJECT) {
        throw Settings.invalid(key + ".set", "an object of keys, e.g. { train.epochs = 5 }",
            step.getValue("set").unwrapped());
      }
      for (Map.Entry<String, ConfigValue> entry : step.getConfig("set").entrySet()) {
        settings.add(entry.getKey() + "=" + asSetting(entry.getValue()));
      }
      settings.sort(null); // entrySet has no order; sorted, the step's description is stable
    }
    Optional<WriteMode> mode = Optional.empty();
    if (step.hasPath("mode")) {
      mode = Optional.of(writeMode(key + ".mode", step.getValue("mode").unwrapped()));
    }
    return new Step(job, config, List.copyOf(settings), mode);
  }

  /** A value as {@code --set} takes it: lists in HOCON, anything else as its plain text. */
  private static String asSetting(ConfigValue value) {
    return value.valueType() == ConfigValueType.LIST
        ? value.render(ConfigRenderOptions.concise()) : String.valueOf(value.unwrapped());
  }

  private static String job(String key, ConfigValue value) {
    Object job = value == null ? null : value.unwrapped();
    if (!(job instanceof String name) || !JOBS.contains(name)) {
      throw Settings.invalid(key, "one of " + JOBS, job == null ? "nothing" : job);
    }
    return name;
  }

  /** A mode as {@link Settings#choice} reads one, the allowed spellings named in the refusal. */
  private static WriteMode writeMode(String key, Object value) {
    List<String> allowed = new ArrayList<>();
    for (WriteMode mode : WriteMode.values()) {
      if (Settings.spelling(mode).equals(String.valueOf(value).toLowerCase(Locale.ROOT))) {
        return mode;
      }
      allowed.add(Settings.spelling(mode));
    }
    throw Settings.invalid(key, "one of " + String.join(", ", allowed), value);
  }

  /** The old form: a distill command line with --config, --set, --mode (and train's --resume). */
  static Step fromCommandLine(String key, String line) {
    List<String> words = words(line);
    if (words.isEmpty() || !JOBS.contains(words.get(0))) {
      throw Settings.invalid(key, "a step such as { job = train, config = conf/x.conf }", line);
    }
    String job = words.get(0);
    String config = "";
    List<String> settings = new ArrayList<>();
    Optional<WriteMode> mode = Optional.empty();
    for (int i = 1; i < words.size(); i++) {
      String word = words.get(i);
      if (word.equals("--resume") && job.equals("train")) {
        settings.add("train.resume=true");
        continue;
      }
      if (i + 1 >= words.size() || !List.of("--config", "--set", "--mode").contains(word)) {
        throw new InvalidConfigException(key + " = \"" + line + "\": '" + word + "' is not "
            + "one of --config FILE, --set KEY=VALUE, --mode MODE" + (job.equals("train")
            ? ", --resume" : ""));
      }
      String argument = words.get(++i);
      switch (word) {
        case "--config" -> config = argument;
        case "--set" -> settings.add(argument);
        default -> mode = Optional.of(writeMode(key, argument));
      }
    }
    return new Step(job, config, List.copyOf(settings), mode);
  }

  /** A step in the HOCON form, for the deprecation line. */
  private static String hocon(Step step) {
    StringBuilder text = new StringBuilder("{ job = ").append(step.job());
    if (!step.config().isEmpty()) {
      text.append(", config = \"").append(step.config()).append('"');
    }
    if (!step.settings().isEmpty()) {
      text.append(", set { ").append(String.join(", ", step.settings().stream()
          .map(RunConfig::hoconSetting).toList())).append(" }");
    }
    step.mode().ifPresent(m -> text.append(", mode = ").append(Settings.spelling(m)));
    return text.append(" }").toString();
  }

  /** {@code key=value} as HOCON: lists, numbers and booleans as they are, other text quoted. */
  private static String hoconSetting(String setting) {
    int eq = setting.indexOf('=');
    if (eq <= 0) {
      return setting; // refused with its key when the step's config is resolved
    }
    String value = setting.substring(eq + 1);
    boolean plain = value.startsWith("[") || value.startsWith("{")
        || value.matches("-?[0-9][0-9.eE+-]*|true|false");
    return setting.substring(0, eq) + " = " + (plain ? value
        : com.typesafe.config.ConfigUtil.quoteString(value));
  }

  /** Splits a command line on blanks; single or double quotes keep blanks inside a word. */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    boolean inWord = false;
    for (char c : line.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
