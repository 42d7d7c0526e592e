package dev.sparkdistill.common.manifest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparkdistill.common.DistillException;

/** Reads and writes manifests as indented JSON that any tool can read. */
public final class ManifestJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private ManifestJson() {}

  public static String write(Object manifest) {
    try {
      return MAPPER.writeValueAsString(manifest) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("manifest cannot be rendered as JSON", e);
    }
  }

  public static <T> T read(String json, Class<T> type, String file) {
    try {
      T manifest = MAPPER.readValue(json, type);
      if (manifest == null) {
        throw new DistillException("manifest " + file + " is not a valid " + type.getSimpleName()
            + ": it holds null");
      }
      return manifest;
    } catch (JsonProcessingException e) {
      throw new DistillException("manifest " + file + " is not a valid " + type.getSimpleName()
          + ": " + oneLine(e));
    }
  }

  /**
   * Jackson's reason without the copy of the input it quotes (which spans lines), and where in
   * the file it stopped.
   */
  private static String oneLine(JsonProcessingException e) {
    String reason = e.getOriginalMessage() == null ? e.getClass().getSimpleName()
        : e.getOriginalMessage();
    int source = reason.indexOf("[Source:");
    if (source >= 0) {
      reason = reason.substring(0, source).replaceAll("\\(start marker at\\s*$", "");
    }
    reason = reason.replaceAll("\\s+", " ").trim();
    JsonLocation at = e.getLocation();
    return at == null || at.getLineNr() < 0 ? reason
        : reason + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
  }
}
