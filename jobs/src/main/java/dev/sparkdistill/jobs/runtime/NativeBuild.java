package dev.sparkdistill.jobs.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which of ND4J's native CPU builds a JVM loads. The application jar carries two: ND4J's generic
 * {@code linux-x86_64} build (OpenBLAS, no oneDNN; runs on any x86-64) and
 * {@code linux-x86_64-onednn-avx2} (oneDNN, AVX2), which JavaCPP prefers when both are present.
 * On a CPU without AVX2 and FMA the second would stop the JVM with an illegal instruction, so
 * {@link #preferSupported()} points JavaCPP at the generic build there, before ND4J loads.
 */
public final class NativeBuild {
  /** JavaCPP's system property naming the native build's extension ("" = the generic build). */
  static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
  private static final Set<String> AVX2_BUILD_NEEDS = Set.of("avx2", "fma");

  private NativeBuild() {}

  /**
   * Chooses the generic build on a Linux CPU that lacks what the AVX2 build needs, unless the
   * user chose a build already. Call before anything touches ND4J.
   */
  public static void preferSupported() {
    if (System.getProperty(EXTENSION_PROPERTY) != null) {
      return;
    }
    try {
      String extension = extensionFor(Files.readString(Path.of("/proc/cpuinfo")));
      if (extension != null) {
        System.setProperty(EXTENSION_PROPERTY, extension);
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or no /proc: JavaCPP's own choice stands.
    }
  }

  /** The extension to force for this /proc/cpuinfo text; null to leave JavaCPP's choice. */
  static String extensionFor(String cpuinfo) {
    Set<String> flags = cpuinfo.lines().filter(line -> line.startsWith("flags"))
        .findFirst().map(line -> Arrays.stream(line.substring(line.indexOf(':') + 1).trim()
            .split("\\s+")).collect(Collectors.toSet())).orElse(null);
    if (flags == null) {
      return null;
    }
    return flags.containsAll(AVX2_BUILD_NEEDS) ? null : "";
  }

  /**
   * The build ND4J loaded, from the folder JavaCPP extracted libnd4jcpu from (e.g.
   * "linux-x86_64-onednn-avx2"), or null when no CPU build is loaded.
   */
  public static String loaded() {
    for (Map.Entry<String, String> library
        : org.bytedeco.javacpp.Loader.getLoadedLibraries().entrySet()) {
      String path = library.getValue();
      if (path != null && path.contains("nd4jcpu")) {
        Path folder = Path.of(path).getParent();
        return folder == null ? path : folder.getFileName().toString();
      }
    }
    return null;
  }
}
