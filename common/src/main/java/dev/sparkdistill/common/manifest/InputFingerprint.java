package dev.sparkdistill.common.manifest;

import dev.sparkdistill.common.config.ConfigRendering;
import java.util.Comparator;
import java.util.List;

/**
 * Identifies a set of input files by path, size and modification time without reading them, so
 * that a rerun on unchanged inputs can be recognised at the cost of a listing.
 */
public final class InputFingerprint {
  public record FileFacts(String path, long length, long modificationTime) {}

  private InputFingerprint() {}

  public static String of(List<FileFacts> files) {
    StringBuilder text = new StringBuilder();
    files.stream().sorted(Comparator.comparing(FileFacts::path)).forEach(f ->
        text.append(f.path()).append('\t').append(f.length()).append('\t')
            .append(f.modificationTime()).append('\n'));
    return ConfigRendering.sha256(text.toString());
  }
}
