package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Resolves a job configuration from three layers, later wins: the documented defaults in
 * {@code distill-reference.conf}, the user's config file, then each {@code --set key=value}.
 * Keys that the reference does not know are refused with the nearest known key, so a typo
 * never silently falls back to a default.
 */
public final class ConfigLayers {
  public static final String REFERENCE_RESOURCE = "distill-reference.conf";

  private ConfigLayers() {}

  /** The documented defaults alone. */
  public static Config reference() {
    return ConfigFactory.parseResourcesAnySyntax(
            ConfigLayers.class.getClassLoader(), REFERENCE_RESOURCE,
            ConfigParseOptions.defaults().setAllowMissing(false))
        .resolve();
  }

  /**
   * @param fileText the config file's text, if one was given
   * @param fileName where the text came from, for error messages
   * @param settings {@code key=value} overrides, applied in order
   */
  public static Config resolve(Optional<String> fileText, String fileName, List<String> settings) {
    Config user = ConfigFactory.empty();
    for (String setting : settings) {
      user = parseSetting(setting).withFallback(user);
    }
    if (fileText.isPresent()) {
      user = user.withFallback(parseFile(fileText.get(), fileName));
    }
    Config reference = reference();
    rejectUnknownKeys(user, reference);
    try {
      return user.withFallback(reference).resolve();
    } catch (ConfigException e) {
      throw new InvalidConfigException("cannot resolve configuration: " + e.getMessage());
    }
  }

  private static Config parseFile(String text, String fileName) {
    try {
      return ConfigFactory.parseString(
          text, ConfigParseOptions.defaults().setOriginDescription(fileName));
    } catch (ConfigException e) {
      throw new InvalidConfigException("config file " + fileName + " is not valid HOCON: "
          + e.getMessage());
    }
  }

  static Config parseSetting(String setting) {
    int eq = setting.indexOf('=');
    if (eq <= 0) {
      throw new InvalidConfigException(
          "--set expects key=value, got '" + setting + "'");
    }
    String key = setting.substring(0, eq).trim();
    String value = setting.substring(eq + 1).trim();
    try {
      return ConfigFactory.empty().withValue(key, parseValue(key, value)
          .withOrigin(ConfigOriginFactory.newSimple("--set " + key)));
    } catch (ConfigException.BadPath e) {
      throw new InvalidConfigException("--set has a malformed key '" + key
          + "'; keys are names joined by '.', e.g. prepare.output");
    }
  }

  /** Lists and objects are HOCON; anything else is a plain string (so s3a://b/x keeps its //). */
  private static ConfigValue parseValue(String key, String value) {
    if (value.startsWith("[") || value.startsWith("{")) {
      try {
        return ConfigFactory.parseString("v = " + value,
            ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)).getValue("v");
      } catch (ConfigException e) {
        throw new InvalidConfigException(
            "--set " + key + " has a value that is not a valid HOCON list or object: " + value);
      }
    }
    return ConfigValueFactory.fromAnyRef(value, "--set " + key);
  }

  private static void rejectUnknownKeys(Config user, Config reference) {
    Set<String> known = reference.entrySet().stream()
        .map(Map.Entry::getKey).collect(Collectors.toSet());
    for (Map.Entry<String, ConfigValue> entry : leaves(user.root(), List.of()).entrySet()) {
      String key = entry.getKey();
      if (!reference.hasPathOrNull(key)) {
        String origin = entry.getValue().origin().description();
        throw new InvalidConfigException("unknown configuration key '" + key + "' (from "
            + origin + ")" + nearest(key, known).map(k -> "; did you mean '" + k + "'?")
            .orElse(""));
      }
    }
  }

  /** Every leaf under {@code object} by path, nulls included (entrySet() leaves them out). */
  private static Map<String, ConfigValue> leaves(ConfigObject object, List<String> parents) {
    Map<String, ConfigValue> leaves = new java.util.TreeMap<>();
    object.forEach((name, value) -> {
      List<String> path = new java.util.ArrayList<>(parents);
      path.add(name);
      if (value instanceof ConfigObject child) {
        leaves.putAll(leaves(child, path));
      } else {
        leaves.put(ConfigUtil.joinPath(path), value);
      }
    });
    return leaves;
  }

  private static Optional<String> nearest(String key, Set<String> known) {
    return known.stream()
        .min(Comparator.comparingInt(k -> editDistance(key, k)))
        .filter(k -> editDistance(key, k) <= Math.max(3, key.length() / 4));
  }

  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
