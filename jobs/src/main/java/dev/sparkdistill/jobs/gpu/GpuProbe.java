package dev.sparkdistill.jobs.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NVIDIA GPUs of this machine as its driver reports them, without loading CUDA: the kernel
 * module's {@code /proc/driver/nvidia/version} says whether a driver runs at all, and
 * {@code nvidia-smi} (installed with every driver) names each GPU and its compute capability.
 */
final class GpuProbe {
  private static final Pattern DRIVER_VERSION = Pattern.compile("Kernel Module\\s+([0-9.]+)");

  /** One GPU; compute capability -1.-1 when nvidia-smi could not tell it. */
  record Gpu(int index, String name, int major, int minor) {
    String capability() {
      return major < 0 ? "unknown" : major + "." + minor;
    }
  }

  /** What was found; {@code absence} says why there is no GPU when {@code gpus} is empty. */
  record Found(String driver, List<Gpu> gpus, String absence) {}

  private GpuProbe() {}

  static Found probe(Path procRoot, String nvidiaSmi) {
    Path version = procRoot.resolve("driver/nvidia/version");
    if (!Files.isRegularFile(version)) {
      return new Found(null, List.of(), "no NVIDIA driver (" + version + " does not exist)");
    }
    String driver = "unknown";
    try {
      Matcher m = DRIVER_VERSION.matcher(Files.readString(version));
      driver = m.find() ? m.group(1) : driver;
    } catch (IOException e) {
      // The version stays unknown; nvidia-smi may still answer.
    }
    List<String> lines;
    try {
      lines = run(nvidiaSmi, "--query-gpu=index,name,compute_cap,driver_version",
          "--format=csv,noheader");
    } catch (IOException e) {
      return new Found(driver, List.of(), "an NVIDIA driver " + driver + " but " + nvidiaSmi
          + " did not answer (" + e.getMessage() + ")");
    }
    List<Gpu> gpus = parse(lines);
    if (!lines.isEmpty() && driver.equals("unknown")) {
      String[] fields = lines.get(0).split(",");
      driver = fields[fields.length - 1].trim();
    }
    return new Found(driver, gpus, gpus.isEmpty() ? "an NVIDIA driver " + driver + " but no GPU"
        : null);
  }

  /** Lines of "index, name, compute_cap, driver_version". */
  static List<Gpu> parse(List<String> lines) {
    List<Gpu> gpus = new ArrayList<>();
    for (String line : lines) {
      String[] fields = line.split(",");
      if (fields.length < 3) {
        continue;
      }
      int major = -1;
      int minor = -1;
      String[] capability = fields[2].trim().split("\\.");
      try {
        major = Integer.parseInt(capability[0]);
        minor = Integer.parseInt(capability[1]);
      } catch (RuntimeException e) {
        // "[N/A]" on drivers too old to report it.
      }
      gpus.add(new Gpu(Integer.parseInt(fields[0].trim()), fields[1].trim(), major, minor));
    }
    return gpus;
  }

  private static List<String> run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      List<String> lines = new String(process.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException("exit " + process.exitValue() + ": " + String.join(" ", lines));
      }
      return lines;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } finally {
      process.destroy();
    }
  }
}
