package dev.sparkdistill.jobs.gpu;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.runtime.CudaSupport;
import dev.sparkdistill.common.runtime.ElfLibrary;
import dev.sparkdistill.common.runtime.GpuAgreement;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Does this jar train and score on this machine's GPU, and give the CPU's results there? Reads
 * the jar's CUDA libraries (are their needs met by the jar and a driver alone; are ND4J's kernels
 * compiled for this GPU), then runs {@link GpuCheckWorker} twice, once with ND4J's CPU backend and
 * once with its CUDA backend, and compares them as {@link GpuAgreement} does. On a machine with no
 * NVIDIA GPU it says so after the jar's report and succeeds.
 */
public final class GpuCheck {
  /** ND4J orders its backends by these environment variables, highest first. */
  private static final String CPU_PRIORITY = "BACKEND_PRIORITY_CPU";
  private static final String GPU_PRIORITY = "BACKEND_PRIORITY_GPU";

  /**
   * @param images train and test images and labels, IDX files
   * @param trainConfig the teacher's train section, HOCON
   * @param standIn run the GPU's side on the CPU backend too: the whole check where there is no
   *     GPU, to test it
   */
  public record Options(Path trainImages, Path trainLabels, Path testImages, Path testLabels,
      String trainConfig, int trainRows, int testRows, Path procRoot, String nvidiaSmi,
      boolean standIn) {}

  private final Options options;
  private final PrintWriter out;

  public GpuCheck(Options options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  /** @return 0 when the GPU agrees with the CPU or there is no GPU, 1 otherwise */
  public int run() {
    Path scratch = createScratch();
    try {
      return run(scratch);
    } finally {
      deleteQuietly(scratch);
    }
  }

  private int run(Path scratch) {
    GpuProbe.Found found = GpuProbe.probe(options.procRoot(), options.nvidiaSmi());
    if (found.gpus().isEmpty()) {
      out.println("GPU: none, " + found.absence());
    }
    for (GpuProbe.Gpu gpu : found.gpus()) {
      out.printf(Locale.ROOT, "GPU %d: %s, compute capability %s, driver %s%n", gpu.index(),
          gpu.name(), gpu.capability(), found.driver());
    }
    Path reportScratch = scratch.resolve("libraries");
    mkdirs(reportScratch);
    PackagedCuda.Report report = PackagedCuda.inspect(reportScratch);
    boolean librariesComplete = report != null && report.unmet().isEmpty();
    if (report == null) {
      out.println("CUDA backend: not in this jar (the CPU build); build the GPU jar with "
          + "mvn -Pcuda -Dmaven.test.skip=true package -pl jobs -am");
    } else {
      out.println("CUDA backend: ND4J's CUDA build, libraries loaded: "
          + String.join(", ", report.libraries()));
      out.println(librariesComplete
          ? "CUDA libraries: complete in the jar; the node needs only the NVIDIA driver ("
              + CudaSupport.DRIVER_LIBRARY + ")"
          : "CUDA libraries: MISSING from the jar and the driver: "
              + String.join(", ", report.unmet()));
      out.println("ND4J's CUDA kernels: " + CudaSupport.describe(report.kernels()));
      for (GpuProbe.Gpu gpu : found.gpus()) {
        out.println("  on GPU " + gpu.index() + " (compute capability " + gpu.capability()
            + "): " + verdictLine(report.kernels(), gpu, "ND4J"));
      }
    }
    PackagedCuda.Provider onnx = PackagedCuda.onnxRuntime(reportScratch);
    if (onnx == null) {
      out.println("ONNX Runtime's CUDA provider: not in this jar (ONNX models score on the CPU)");
    } else {
      out.println(onnx.unmet().isEmpty()
          ? "ONNX Runtime's CUDA provider: in the jar with the CUDA 12 and cuDNN 9 libraries it "
              + "needs; tasks with a GPU score ONNX models on it"
          : "ONNX Runtime's CUDA provider: in the jar, but without " + String.join(", ",
              onnx.unmet()) + " (a build with -Dcuda.onnxruntime.libraries.skip): ONNX models "
              + "score on the CPU");
      out.println("ONNX Runtime's CUDA kernels: " + CudaSupport.describe(onnx.kernels()));
      for (GpuProbe.Gpu gpu : found.gpus()) {
        out.println("  on GPU " + gpu.index() + " (compute capability " + gpu.capability()
            + "): " + verdictLine(onnx.kernels(), gpu, "ONNX Runtime"));
      }
    }
    out.flush();
    if (report != null && !librariesComplete) {
      return 1;
    }
    if (found.gpus().isEmpty() && !options.standIn()) {
      out.println("gpu-check: no GPU to check on this machine; nothing else to do");
      return 0;
    }
    if (report == null && !options.standIn()) {
      out.println("gpu-check: this jar cannot use the GPU; run gpu-check with "
          + "DISTILL_APP_JAR=jobs/target/spark-distill-cuda.jar");
      return 1;
    }
    // Where ND4J's kernels cannot run (Hopper and newer), the GPU's side still checks ONNX
    // Runtime there, with ND4J on the CPU backend.
    boolean nd4jOnGpu = !options.standIn() && report != null && found.gpus().stream()
        .limit(1).noneMatch(gpu -> gpu.major() >= 0 && CudaSupport.verdict(report.kernels(),
            gpu.major(), gpu.minor()) == CudaSupport.Verdict.NONE);
    return compare(scratch, nd4jOnGpu);
  }

  private static String verdictLine(List<ElfLibrary.Kernel> kernels, GpuProbe.Gpu gpu,
      String who) {
    if (gpu.major() < 0) {
      return "unknown (nvidia-smi gave no compute capability); the run below tells";
    }
    return switch (CudaSupport.verdict(kernels, gpu.major(), gpu.minor())) {
      case NATIVE -> "run (compiled for this architecture)";
      case PTX_JIT -> "run after the driver compiles their PTX on first use (minutes, once)";
      case NONE -> "DO NOT RUN: no SASS for sm_" + gpu.major() + "x up to sm_" + gpu.major()
          + gpu.minor() + " and no PTX to compile; " + who + " fails with 'no kernel image is "
          + "available for execution on the device'";
    };
  }

  private int compare(Path scratch, boolean nd4jOnGpu) {
    Path cpuOut = scratch.resolve("cpu");
    Path gpuOut = scratch.resolve("gpu");
    String gpuSide = options.standIn() ? "CPU standing in for the GPU"
        : nd4jOnGpu ? "GPU" : "GPU for ONNX Runtime only";
    out.printf(Locale.ROOT, "training the teacher's network 1 epoch on %d rows and scoring %d "
        + "test rows on the CPU, then on the %s%n", options.trainRows(), options.testRows(),
        options.standIn() ? "CPU again (standing in for a GPU)" : nd4jOnGpu ? "GPU"
            : "CPU with ONNX Runtime on the GPU (ND4J's kernels do not run there)");
    out.flush();
    Properties cpu = runWorker("CPU", Map.of(CPU_PRIORITY, "200", GPU_PRIORITY, "0"), cpuOut,
        null, null);
    Properties gpu = runWorker(gpuSide, nd4jOnGpu
        ? Map.of(CPU_PRIORITY, "0", GPU_PRIORITY, "200")
        : Map.of(CPU_PRIORITY, "200", GPU_PRIORITY, "0"),
        gpuOut, cpuOut.resolve(GpuCheckWorker.MODEL), 0);
    printTable(cpu, gpu, gpuSide);
    if (gpu.containsKey("onnx.provider.why")) {
      out.println("ONNX Runtime on the " + gpuSide + "'s side ran on the CPU: "
          + gpu.getProperty("onnx.provider.why"));
    }
    if (cpu.containsKey("error")) {
      out.println("gpu-check: the CPU side failed: " + cpu.getProperty("error"));
      return 1;
    }
    if (gpu.containsKey("error")) {
      out.println("gpu-check: the " + gpuSide + " side failed: " + gpu.getProperty("error"));
      return 1;
    }
    if (nd4jOnGpu && !"CUDA".equals(gpu.getProperty("backend"))) {
      out.println("gpu-check: ND4J did not load its CUDA backend on this GPU (it fell back to "
          + gpu.getProperty("device") + "): " + gpu.getProperty("backend.skipped",
              "its log gives no reason"));
      return 1;
    }
    GpuAgreement agreement;
    try {
      float[][] reference = GpuCheckWorker.readLogits(cpuOut.resolve(
          GpuCheckWorker.OWN_LOGITS));
      agreement = new GpuAgreement(number(cpu, "test.accuracy"), number(gpu, "test.accuracy"),
          GpuAgreement.logitDiff(reference, GpuCheckWorker.readLogits(
              gpuOut.resolve(GpuCheckWorker.OTHER_ND4J_LOGITS))),
          GpuAgreement.logitDiff(reference, GpuCheckWorker.readLogits(
              gpuOut.resolve(GpuCheckWorker.OTHER_ONNX_LOGITS))));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the workers' logits", e);
    }
    out.printf(Locale.ROOT, "agreement: test accuracy %.4f (%s) vs %.4f (CPU), within %.2f: "
        + "%s; the CPU-trained network's logits on the %s, largest relative difference from "
        + "the CPU's: ND4J %.2e, ONNX Runtime %.2e (bound %.0e)%n", agreement.gpuAccuracy(),
        gpuSide, agreement.cpuAccuracy(), GpuAgreement.ACCURACY_POINTS,
        Math.abs(agreement.gpuAccuracy() - agreement.cpuAccuracy())
            <= GpuAgreement.ACCURACY_POINTS ? "yes" : "NO", gpuSide, agreement.nd4jLogitDiff(),
        agreement.onnxLogitDiff(), GpuAgreement.LOGIT_TOLERANCE);
    List<String> disagreements = agreement.disagreements();
    if (disagreements.isEmpty()) {
      out.println("gpu-check: the " + gpuSide + " agrees with the CPU");
      return 0;
    }
    disagreements.forEach(line -> out.println("gpu-check: " + line));
    return 1;
  }

  private void printTable(Properties cpu, Properties gpu, String gpuSide) {
    out.printf(Locale.ROOT, "%-28s | %-7s | %12s | %12s | %12s | %8s | %s%n", "side", "backend",
        "train rows/s", "ND4J rows/s", "ONNX rows/s", "accuracy", "device");
    for (Map.Entry<String, Properties> side : List.of(Map.entry("CPU", cpu),
        Map.entry(gpuSide, gpu))) {
      Properties p = side.getValue();
      out.printf(Locale.ROOT, "%-28s | %-7s | %12s | %12s | %12s | %8s | %s%n", side.getKey(),
          p.getProperty("backend", "-"), rate(p, "train.rows-per-second"),
          rate(p, "nd4j.rows-per-second"),
          rate(p, "onnx.rows-per-second") + " " + p.getProperty("onnx.provider", ""),
          p.containsKey("test.accuracy")
              ? String.format(Locale.ROOT, "%.4f", number(p, "test.accuracy")) : "-",
          p.getProperty("device", "-"));
    }
    out.flush();
  }

  private static String rate(Properties p, String key) {
    return p.containsKey(key) ? String.format(Locale.ROOT, "%,.0f", number(p, key)) : "-";
  }

  private static double number(Properties p, String key) {
    return Double.parseDouble(p.getProperty(key));
  }

  private Properties runWorker(String side, Map<String, String> environment, Path workerOut,
      Path otherModel, Integer onnxGpu) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(arg -> arg.startsWith("--add-opens") || arg.startsWith("-XX:")
            || arg.startsWith("-Xmx") || arg.startsWith("-Dorg.bytedeco")
            || arg.startsWith("-Djdk.reflect"))
        .forEach(command::add);
    command.add("-cp");
    command.add(classPath());
    command.add(GpuCheckWorker.class.getName());
    Stream.of(options.trainImages(), options.trainLabels(), options.testImages(),
        options.testLabels()).map(Path::toString).forEach(command::add);
    command.add(Integer.toString(options.trainRows()));
    command.add(Integer.toString(options.testRows()));
    command.add(workerOut.toString());
    command.add(otherModel == null ? "-" : otherModel.toString());
    command.add(onnxGpu == null ? "-" : onnxGpu.toString());
    Path log = workerOut.resolveSibling(workerOut.getFileName() + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(environment);
    // The launcher gives each Spark task one thread; a worker has the machine to itself.
    builder.environment().put("OMP_NUM_THREADS",
        Integer.toString(Runtime.getRuntime().availableProcessors()));
    try {
      Process process = builder.start();
      try (var stdin = process.getOutputStream()) {
        stdin.write(options.trainConfig().getBytes(StandardCharsets.UTF_8));
      }
      int code = process.waitFor();
      Path result = workerOut.resolve(GpuCheckWorker.RESULT);
      Properties properties = new Properties();
      if (Files.exists(result)) {
        try (InputStream in = Files.newInputStream(result)) {
          properties.load(in);
        }
      } else {
        properties.setProperty("error", "its JVM exited with " + code + " before writing a "
            + "result; last lines of its log: " + tail(log));
      }
      skippedBackend(log).ifPresent(line -> properties.setProperty("backend.skipped", line));
      return properties;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run the " + side + " side of gpu-check", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DistillException("gpu-check interrupted");
    }
  }

  /** The JVM's class path, with the application jar first (spark-submit loads it apart). */
  private static String classPath() {
    List<String> entries = new ArrayList<>();
    try {
      entries.add(Path.of(GpuCheckWorker.class.getProtectionDomain().getCodeSource()
          .getLocation().toURI()).toString());
    } catch (java.net.URISyntaxException | RuntimeException e) {
      // Not from a file: the class path alone must hold it.
    }
    entries.add(System.getProperty("java.class.path"));
    return String.join(File.pathSeparator, entries);
  }

  /**
   * Why ND4J passed over a backend: its "Skipped [...]" log line, or the link error it prints
   * when a CUDA library cannot load (libcuda.so.1 without a driver).
   */
  private static java.util.Optional<String> skippedBackend(Path log) {
    try (Stream<String> lines = Files.lines(log)) {
      return lines.filter(line -> line.contains("Skipped [")
          || line.startsWith("java.lang.UnsatisfiedLinkError")).findFirst().map(String::trim);
    } catch (IOException | java.io.UncheckedIOException e) {
      return java.util.Optional.empty();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static Path createScratch() {
    try {
      return Files.createTempDirectory("distill-gpu-check");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a scratch folder", e);
    }
  }

  private static void mkdirs(Path folder) {
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + folder, e);
    }
  }

  private static void deleteQuietly(Path folder) {
    try (Stream<Path> paths = Files.walk(folder)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temporary folder; the system cleans it eventually.
    }
  }
}
