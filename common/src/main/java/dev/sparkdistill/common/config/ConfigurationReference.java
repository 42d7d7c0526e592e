package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key tables of {@code docs/configuration.md}, generated from {@code distill-reference.conf}:
 * every key with its default and its comment, in the file's order. The page marks each table
 * with {@code <!-- keys: section -->} and {@code <!-- /keys -->}; the prose around them is
 * written by hand. A test fails when the page and the reference disagree.
 */
public final class ConfigurationReference {
  static final String RESOURCE = "distill-reference.conf";
  private static final Pattern BLOCK = Pattern.compile(
      "<!-- keys: ([a-z-]+) -->\\n.*?<!-- /keys -->", Pattern.DOTALL);

  private ConfigurationReference() {}

  /** One key of the reference: its full path, default as written, and comment. */
  public record Key(String path, String defaultValue, String comment) {}

  /** The keys of {@code section}, in the reference's order. */
  public static List<Key> keys(String section) {
    Config reference = ConfigFactory.parseResources(RESOURCE);
    List<Map.Entry<String, ConfigValue>> leaves = new ArrayList<>();
    ConfigValue top = reference.root().get(section);
    if (top.valueType() == ConfigValueType.OBJECT) {
      collect(section, (ConfigObject) top, leaves);
    } else {
      leaves.add(Map.entry(section, top)); // a key of its own, such as batch
    }
    leaves.sort(Comparator.comparingInt(e -> e.getValue().origin().lineNumber()));
    return leaves.stream().map(e -> new Key(e.getKey(), shown(e.getValue()),
        String.join(" ", e.getValue().origin().comments()).strip())).toList();
  }

  private static void collect(String path, ConfigObject object,
      List<Map.Entry<String, ConfigValue>> leaves) {
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      String key = path + "." + entry.getKey();
      if (entry.getValue().valueType() == ConfigValueType.OBJECT) {
        collect(key, (ConfigObject) entry.getValue(), leaves);
      } else {
        leaves.add(Map.entry(key, entry.getValue()));
      }
    }
  }

  private static String shown(ConfigValue value) {
    if (value.valueType() == ConfigValueType.STRING) {
      String text = (String) value.unwrapped();
      return text.isEmpty() ? "\"\"" : text;
    }
    return value.render(ConfigRenderOptions.concise());
  }

  /** The markdown table of {@code section}'s keys. */
  public static String table(String section) {
    StringBuilder table = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
    for (Key key : keys(section)) {
      table.append("| `").append(key.path()).append("` | `").append(key.defaultValue())
          .append("` | ").append(key.comment().replace("|", "\\|")).append(" |\n");
    }
    return table.toString();
  }

  /** {@code page} with every marked table generated afresh from the reference. */
  public static String regenerate(String page) {
    Matcher blocks = BLOCK.matcher(page);
    StringBuilder out = new StringBuilder();
    while (blocks.find()) {
      String section = blocks.group(1);
      blocks.appendReplacement(out, Matcher.quoteReplacement("<!-- keys: " + section + " -->\n"
          + table(section) + "<!-- /keys -->"));
    }
    blocks.appendTail(out);
    return out.toString();
  }
}
