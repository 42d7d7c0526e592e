package dev.sparkdistill.common.runtime;

import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One log line saying which ND4J backend a JVM runs and on what: for CPU the BLAS library and
 * thread counts, for CUDA the device this thread uses and every device the JVM sees. An executor
 * that silently fell back to the CPU backend, or whose tasks all landed on GPU 0, is the first
 * thing to rule out when a GPU cluster is slow; this line makes both visible in executor logs.
 */
public final class BackendDescription {
  private BackendDescription() {}

  /**
   * @param environment ND4J's environment information ({@code OpExecutioner#getEnvironmentInformation})
   * @param threadDevice the device ND4J assigned to the calling thread
   */
  public static String describe(Properties environment, int threadDevice) {
    return describe(environment, threadDevice, null);
  }

  /**
   * @param nativeBuild the native CPU build ND4J loaded (e.g. "linux-x86_64-onednn-avx2"), or
   *     null when unknown; an "-onednn" build runs convolutions and pooling through oneDNN
   */
  public static String describe(Properties environment, int threadDevice, String nativeBuild) {
    String backend = String.valueOf(environment.getOrDefault("backend", "unknown"));
    Object devices = environment.get("cuda.devicesInformation");
    if (devices instanceof List<?> list && !list.isEmpty()) {
      StringBuilder line = new StringBuilder("ND4J backend ").append(backend)
          .append(", this thread on device ").append(threadDevice)
          .append(" of ").append(list.size()).append(':');
      for (int i = 0; i < list.size(); i++) {
        line.append(i == 0 ? " " : "; ").append(i).append(' ').append(device(list.get(i)));
      }
      return line.toString();
    }
    String build = nativeBuild == null ? "" : ", build " + nativeBuild + " (oneDNN "
        + (nativeBuild.contains("onednn") ? "on" : "off") + ")";
    return "ND4J backend " + backend + build + " (BLAS "
        + environment.getOrDefault("blas.vendor", "unknown")
        + ", " + environment.getOrDefault("omp.threads", "?") + " OpenMP thread(s), "
        + environment.getOrDefault("cores", "?") + " core(s))";
  }

  private static String device(Object info) {
    if (!(info instanceof Map<?, ?> map)) {
      return String.valueOf(info);
    }
    return map.get("cuda.deviceName") + " (compute " + map.get("cuda.deviceMajor") + "."
        + map.get("cuda.deviceMinor") + ", " + mebibytes(map.get("cuda.freeMemory")) + " of "
        + mebibytes(map.get("cuda.totalMemory")) + " MiB free)";
  }

  private static String mebibytes(Object bytes) {
    return bytes instanceof Number n ? String.valueOf(n.longValue() >> 20) : "?";
  }
}
