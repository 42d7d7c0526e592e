package dev.sparkdistill.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class BackendDescriptionTest {

  @Test
  void cpuBackendNamesBlasAndThreads() {
    String line = BackendDescription.describe(
        Nd4j.getExecutioner().getEnvironmentInformation(), 0);

    assertThat(line).startsWith("ND4J backend CPU (BLAS ").contains("OpenMP thread(s)")
        .doesNotContain("null");
  }

  @Test
  void cudaBackendNamesThisThreadsDeviceAndEveryDevice() {
    // The keys and value types of ND4J's CUDA executioner; no GPU here to ask a real one.
    Properties env = new Properties();
    env.put("backend", "CUDA");
    env.put("cuda.devicesInformation", List.of(
        gpu("Tesla T4", 7, 5, 15_000L << 20, 15_360L << 20),
        gpu("Tesla T4", 7, 5, 14_000L << 20, 15_360L << 20)));

    String line = BackendDescription.describe(env, 1);

    assertThat(line).isEqualTo("ND4J backend CUDA, this thread on device 1 of 2: "
        + "0 Tesla T4 (compute 7.5, 15000 of 15360 MiB free); "
        + "1 Tesla T4 (compute 7.5, 14000 of 15360 MiB free)");
  }

  @Test
  void cpuLineNamesTheNativeBuildAndWhetherOneDnnIsOn() {
    Properties env = new Properties();
    env.put("backend", "CPU");
    env.put("blas.vendor", "OPENBLAS");
    env.put("omp.threads", 1);
    env.put("cores", 2);

    assertThat(BackendDescription.describe(env, 0, "linux-x86_64-onednn-avx2")).isEqualTo(
        "ND4J backend CPU, build linux-x86_64-onednn-avx2 (oneDNN on) (BLAS OPENBLAS, 1 OpenMP "
            + "thread(s), 2 core(s))");
    assertThat(BackendDescription.describe(env, 0, "linux-x86_64")).contains(
        "build linux-x86_64 (oneDNN off)");
  }

  @Test
  void missingKeysDoNotBreakTheLine() {
    assertThat(BackendDescription.describe(new Properties(), 0))
        .isEqualTo("ND4J backend unknown (BLAS unknown, ? OpenMP thread(s), ? core(s))");
  }

  private static Map<String, Object> gpu(String name, int major, int minor, long free, long total) {
    return Map.of("cuda.deviceName", name, "cuda.deviceMajor", major, "cuda.deviceMinor", minor,
        "cuda.freeMemory", free, "cuda.totalMemory", total);
  }
}
