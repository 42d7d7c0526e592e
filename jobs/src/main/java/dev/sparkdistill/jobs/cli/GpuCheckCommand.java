package dev.sparkdistill.jobs.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.jobs.bench.ImageFolders;
import dev.sparkdistill.jobs.gpu.GpuCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "gpu-check", mixinStandardHelpOptions = true,
    description = {"Check that this jar trains and scores on this machine's NVIDIA GPU and gives "
        + "the CPU's results: reports the GPU, driver and compute capability, whether the CUDA "
        + "libraries in the jar need anything but the driver, and whether ND4J's kernels are "
        + "compiled for this GPU; then trains the teacher's network one epoch on a slice of "
        + "the training images and scores the test images with ND4J and ONNX Runtime, once on "
        + "the CPU and once on the GPU, each in a JVM of its own, and compares them (test "
        + "accuracy within a point; one network's logits within 1e-3). Runs without Spark. "
        + "Exit 0 when the GPU agrees, or when there is no GPU (said so); 1 otherwise. Use the "
        + "GPU jar: DISTILL_APP_JAR=jobs/target/spark-distill-cuda.jar."})
final class GpuCheckCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE",
      defaultValue = "conf/fashion-mnist-teacher.conf",
      description = "The network and its training: section train of this config (default: "
          + "${DEFAULT-VALUE}).")
  String trainConfigFile;

  @Option(names = "--data", paramLabel = "FILE", defaultValue = "conf/fashion-mnist.conf",
      description = "The IDX images and labels: section prepare of this config (default: "
          + "${DEFAULT-VALUE}).")
  String dataConfigFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a key of --config; repeatable.")
  List<String> settings = new ArrayList<>();

  @Option(names = "--train-rows", defaultValue = "12000",
      description = "Training images used (default: ${DEFAULT-VALUE}).")
  int trainRows;

  @Option(names = "--test-rows", defaultValue = "10000",
      description = "Test images scored (default: ${DEFAULT-VALUE}).")
  int testRows;

  @Option(names = "--stand-in-cpu",
      description = "Run the GPU's side on the CPU backend too, on a machine without a GPU: "
          + "the whole check, as its tests run it.")
  boolean standIn;

  @Option(names = "--proc", defaultValue = "/proc", hidden = true)
  String procRoot;

  @Option(names = "--nvidia-smi", defaultValue = "nvidia-smi", hidden = true)
  String nvidiaSmi;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (trainRows < 1 || testRows < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--train-rows and --test-rows must be at least 1");
    }
    Config train = JobRunner.resolve(trainConfigFile, settings);
    TrainConfig.from(train); // refused here, with its key, rather than in a worker
    PrepareConfig data = ImageFolders.idxConfig(JobRunner.resolve(dataConfigFile, List.of()),
        "gpu-check");
    GpuCheck.Options options = new GpuCheck.Options(
        Path.of(data.input(Split.TRAIN).orElseThrow()), Path.of(data.idxLabels()
            .get(Split.TRAIN)), Path.of(data.input(Split.TEST).orElseThrow()),
        Path.of(data.idxLabels().get(Split.TEST)),
        "train = " + train.getConfig(TrainConfig.SECTION).root()
            .render(ConfigRenderOptions.concise()),
        trainRows, testRows, Path.of(procRoot), nvidiaSmi, standIn);
    return new GpuCheck(options, spec.commandLine().getOut()).run();
  }
}
