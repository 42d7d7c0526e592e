package dev.sparkdistill.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Renders a resolved configuration for logs (secrets masked) and digests it for manifests. */
public final class ConfigRendering {
  private static final Pattern SECRET_KEY = Pattern.compile(
      "(?i).*(secret|password|passwd|token|credential|access[-.]?key|session[-.]?key).*");
  static final String MASK = "****";

  private ConfigRendering() {}

  public static boolean isSecretKey(String key) {
    return SECRET_KEY.matcher(key).matches();
  }

  /** One {@code key = value} line per setting under {@code section}, sorted, secrets masked. */
  public static String describe(Config config, String section) {
    Map<String, String> lines = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> entry : config.getConfig(section).entrySet()) {
      String key = section + "." + entry.getKey();
      String value = isSecretKey(key) ? MASK
          : entry.getValue().render(ConfigRenderOptions.concise());
      lines.put(key, value);
    }
    StringBuilder out = new StringBuilder();
    lines.forEach((k, v) -> out.append("  ").append(k).append(" = ").append(v).append('\n'));
    return out.toString();
  }

  /**
   * SHA-256 of the section's settings in canonical (sorted, concise) form, leaving out keys
   * that do not change what a job writes, such as its write mode.
   */
  public static String digest(Config config, String section, String... ignoredKeys) {
    Config relevant = config.getConfig(section);
    for (String key : ignoredKeys) {
      relevant = relevant.withoutPath(key);
    }
    // Unwrapped values, so 7 from a file and "7" from --set digest alike.
    Map<String, String> sorted = new TreeMap<>();
    relevant.entrySet().forEach(e ->
        sorted.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
    return sha256(sorted.toString());
  }

  public static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return "sha256:" + HexFormat.of().formatHex(
          digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
