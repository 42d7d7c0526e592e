package dev.sparkdistill.common.manifest;

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
          + ": " + e.getOriginalMessage());
    }
  }
}
