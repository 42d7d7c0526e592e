package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.jobs.infer.InferJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "infer", mixinStandardHelpOptions = true,
    description = {
        "Score an examples table with one or more teachers into a targets table (dense logits "
            + "or top-k), with _manifest.json and _SUCCESS.",
        "Keys: section 'infer' of the reference configuration."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success, or the output was already complete",
        "1:the job failed (cause on stderr)", "2:bad usage"})
final class InferCommand implements Callable<Integer> {
  @Mixin
  JobOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return JobRunner.run(JobCatalog.INFER, options, spec.commandLine().getOut());
  }
}
