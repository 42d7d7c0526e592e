package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.evaluate.SummaryTable;
import dev.sparkdistill.jobs.evaluate.EvaluateJob;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {
        "Compare models (teacher, distilled student, baselines) on one split: accuracy, top-k, "
            + "per-class accuracy, confusion, NLL, ECE with reliability diagram, agreement and KL "
            + "to the teacher, size, throughput and latency. Writes report.json and report.html and "
            + "prints the comparison table.",
        "Keys: section 'evaluate' of the reference configuration."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success, or the output was already complete",
        "1:the job failed (cause on stderr)", "2:bad usage"})
final class EvaluateCommand implements Callable<Integer> {
  @Mixin
  JobOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return JobRunner.run(JobCatalog.EVALUATE, options, spec.commandLine().getOut());
  }
}
