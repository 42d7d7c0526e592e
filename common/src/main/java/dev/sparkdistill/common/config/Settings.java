package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Typed reads from a resolved configuration. Every failure is an {@link InvalidConfigException}
 * worded "KEY must be ALLOWED, got VALUE".
 */
public final class Settings {
  private final Config config;

  public Settings(Config config) {
    this.config = config;
  }

  public static InvalidConfigException invalid(String key, String allowed, Object got) {
    return new InvalidConfigException(key + " must be " + allowed + ", got " + show(got));
  }

  /**
   * A value as messages and tables show it: strings quoted, whole numbers without ".0", and line
   * breaks and other control characters escaped, so a message stays one line.
   */
  public static String show(Object value) {
    if (value instanceof String s) {
      return "'" + oneLine(s) + "'";
    }
    if (value instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
      return Long.toString(d.longValue());
    }
    return oneLine(String.valueOf(value));
  }

  private static String oneLine(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private Object raw(String key) {
    ConfigValue value = config.getValue(key);
    return value.valueType() == ConfigValueType.NULL ? null : value.unwrapped();
  }

  /** A string with surrounding blanks removed; null reads as empty. */
  public String string(String key) {
    return untrimmed(key).trim();
  }

  /** A string exactly as written (for separators such as a tab); null reads as empty. */
  public String untrimmed(String key) {
    if (config.getIsNull(key)) {
      return "";
    }
    try {
      return config.getString(key);
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "a string", raw(key));
    }
  }

  public String required(String key, String what) {
    String value = string(key);
    if (value.isEmpty()) {
      throw new InvalidConfigException(key + " is required: " + what);
    }
    return value;
  }

  public boolean bool(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "true or false", raw(key));
    }
  }

  public double number(String key) {
    try {
      double value = config.getDouble(key);
      if (!Double.isFinite(value)) {
        throw invalid(key, "a finite number", raw(key));
      }
      return value;
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "a number", raw(key));
    }
  }

  /** A number in [min, max], or [min, max) when {@code maxExclusive}. */
  public double fraction(String key, double min, double max, boolean maxExclusive) {
    double value = number(key);
    if (value < min || value > max || (maxExclusive && value == max)) {
      throw invalid(key, "in [" + show(min) + ", " + show(max) + (maxExclusive ? ")" : "]"),
          value);
    }
    return value;
  }

  public long integer(String key) {
    Number value;
    try {
      value = config.getNumber(key);
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "an integer", raw(key));
    }
    if (value.doubleValue() != Math.rint(value.doubleValue())
        || Double.isInfinite(value.doubleValue())) {
      throw invalid(key, "an integer", value.doubleValue());
    }
    return value.longValue();
  }

  public int integerAtLeast(String key, int min) {
    long value = integer(key);
    if (value < min || value > Integer.MAX_VALUE) {
      throw invalid(key, "an integer >= " + min, value);
    }
    return (int) value;
  }

  /** An enum constant, spelled in the config as its name in lower case with '-' for '_'. */
  public <E extends Enum<E>> E choice(String key, Class<E> type) {
    String value = string(key);
    for (E constant : type.getEnumConstants()) {
      if (spelling(constant).equals(value)) {
        return constant;
      }
    }
    List<String> allowed = Arrays.stream(type.getEnumConstants())
        .map(Settings::spelling).collect(Collectors.toList());
    throw invalid(key, "one of " + allowed, value);
  }

  public static String spelling(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public List<String> stringList(String key) {
    try {
      return List.copyOf(config.getStringList(key));
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "a list of strings", raw(key));
    }
  }

  public List<Double> numberList(String key) {
    try {
      return config.getNumberList(key).stream().map(Number::doubleValue).toList();
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "a list of numbers", raw(key));
    }
  }

  /** A list of integers, each at least {@code min}. */
  public List<Integer> integerList(String key, int min) {
    List<Integer> values = new ArrayList<>();
    try {
      for (Number n : config.getNumberList(key)) {
        if (n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < min
            || n.doubleValue() > Integer.MAX_VALUE) {
          throw invalid(key, "a list of integers >= " + min, raw(key));
        }
        values.add(n.intValue());
      }
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "a list of integers >= " + min, raw(key));
    }
    return List.copyOf(values);
  }
}
