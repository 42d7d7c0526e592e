package dev.sparkdistill.jobs.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.jobs.Launcher;
import dev.sparkdistill.jobs.cli.DistillCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gpu-check where there is no GPU: what it says with no driver, with a driver and a GPU but the
 * CPU jar (the driver's files and nvidia-smi written here), and the whole check with the CPU
 * backend standing in for the GPU, its two worker JVMs included.
 */
class GpuCheckTest {
  private static final Path SLICE = resource("fashion-mnist-slice");

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int gpuCheck(String... args) throws Exception {
    Path data = dir.resolve("slice.conf");
    Files.writeString(data, "prepare {\n  format = idx\n  output = \"" + dir.resolve("unused")
        + "\"\n  input {\n"
        + "    train = \"" + SLICE.resolve("train-images-idx3-ubyte.gz") + "\"\n"
        + "    test = \"" + SLICE.resolve("t10k-images-idx3-ubyte.gz") + "\"\n  }\n"
        + "  idx {\n    train-labels = \"" + SLICE.resolve("train-labels-idx1-ubyte.gz") + "\"\n"
        + "    test-labels = \"" + SLICE.resolve("t10k-labels-idx1-ubyte.gz") + "\"\n  }\n}\n");
    String[] common = {"gpu-check", "--config",
        Launcher.PROJECT.resolve("conf/fashion-mnist-teacher.conf").toString(),
        "--data", data.toString(), "--train-rows", "300", "--test-rows", "100"};
    String[] all = new String[common.length + args.length];
    System.arraycopy(common, 0, all, 0, common.length);
    System.arraycopy(args, 0, all, common.length, args.length);
    return DistillCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), all);
  }

  @Test
  void withoutADriverItSaysSoAndSucceeds() throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc"));

    assertThat(gpuCheck("--proc", proc.toString())).as(err.toString()).isZero();

    assertThat(out.toString()).startsWith("GPU: none, no NVIDIA driver (" + proc
        + "/driver/nvidia/version does not exist)\n"
        + "CUDA backend: not in this jar (the CPU build)")
        .endsWith("gpu-check: no GPU to check on this machine; nothing else to do\n");
  }

  @Test
  void aGpuWithTheCpuJarIsReportedAndFails() throws Exception {
    Path proc = dir.resolve("proc");
    Files.createDirectories(proc.resolve("driver/nvidia"));
    Files.writeString(proc.resolve("driver/nvidia/version"), "NVRM version: NVIDIA UNIX "
        + "x86_64 Kernel Module  570.86.15  Thu Jan 16 2025\nGCC version:  gcc 12\n");
    Path smi = dir.resolve("nvidia-smi");
    Files.writeString(smi, "#!/bin/sh\n[ \"$1\" = --query-gpu=index,name,compute_cap,"
        + "driver_version ] || exit 9\necho '0, NVIDIA H200, 9.0, 570.86.15'\n"
        + "echo '1, NVIDIA L4, 8.9, 570.86.15'\n");
    Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwx------"));

    assertThat(gpuCheck("--proc", proc.toString(), "--nvidia-smi", smi.toString())).isOne();

    assertThat(out.toString()).startsWith(
        "GPU 0: NVIDIA H200, compute capability 9.0, driver 570.86.15\n"
            + "GPU 1: NVIDIA L4, compute capability 8.9, driver 570.86.15\n"
            + "CUDA backend: not in this jar")
        .endsWith("gpu-check: this jar cannot use the GPU; run gpu-check with "
            + "DISTILL_APP_JAR=jobs/target/spark-distill-cuda.jar\n");
  }

  @Test
  void theWholeCheckWithTheCpuStandingInForTheGpuAgrees() throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc"));

    assertThat(gpuCheck("--proc", proc.toString(), "--stand-in-cpu"))
        .as(out + "\n" + err).isZero();

    String printed = out.toString();
    assertThat(printed).contains("training the teacher's network 1 epoch on 300 rows and "
        + "scoring 100 test rows on the CPU, then on the CPU again");
    assertThat(printed.lines().filter(line -> line.matches(
        "(CPU|CPU standing in for the GPU) +\\| CPU +\\| +[0-9,]+ \\| +[0-9,]+ \\| +[0-9,]+ CPU"
            + " \\| +0\\.[0-9]{4} \\| ND4J backend CPU.*"))).hasSize(2);
    // The same network on the same backend: ND4J's logits are the same; ONNX Runtime's within
    // its float rounding of the same graph.
    assertThat(printed).containsPattern("largest relative difference from the CPU's: ND4J "
        + "0\\.00e\\+00, ONNX Runtime [0-9.]+e-0[5-9] \\(bound 1e-03\\)")
        .endsWith("gpu-check: the CPU standing in for the GPU agrees with the CPU\n");
  }

  private static Path resource(String name) {
    try {
      return Path.of(GpuCheckTest.class.getClassLoader().getResource(name).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
