package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The validated configuration of the {@code run} pipeline (section {@code run}). */
public record RunConfig(List<List<String>> steps) implements Serializable {
  public static final String SECTION = "run";
  private static final List<String> JOBS = List.of("prepare", "train", "infer", "evaluate", "sweep",
      "predict");

  public static RunConfig from(Config config) {
    Settings s = new Settings(config);
    String key = SECTION + ".steps";
    List<List<String>> steps = new ArrayList<>();
    for (String step : s.stringList(key)) {
      List<String> words = words(step);
      if (words.isEmpty() || !JOBS.contains(words.get(0))) {
        throw Settings.invalid(key, "a list of command lines starting with one of " + JOBS, step);
      }
      steps.add(List.copyOf(words));
    }
    if (steps.isEmpty()) {
      throw new InvalidConfigException(key + " is required: the pipeline's steps, e.g. "
          + "[\"prepare --config conf/fashion-mnist.conf\"]");
    }
    return new RunConfig(List.copyOf(steps));
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
