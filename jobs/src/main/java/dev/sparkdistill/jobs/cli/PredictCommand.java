package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.PredictConfig;
import dev.sparkdistill.common.manifest.PredictionsManifest;
import dev.sparkdistill.jobs.predict.PredictJob;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "predict", mixinStandardHelpOptions = true,
    description = {
        "Score an examples table with one model (model.zip or .onnx) into a predictions table: "
            + "id, predicted class index and name, its probability, optionally the top-k "
            + "classes, and the input columns you name, partitioned by split, with "
            + "_manifest.json and _SUCCESS.",
        "Keys: section 'predict' of the reference configuration."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success, or the output was already complete",
        "1:the job failed (cause on stderr)", "2:bad usage"})
final class PredictCommand implements Callable<Integer> {
  @Mixin
  JobOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return JobRunner.run(JobCatalog.PREDICT, options, spec.commandLine().getOut());
  }
}
