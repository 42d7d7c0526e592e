package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.SweepConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.jobs.sweep.SweepJob;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = {
        "Train one student per temperature and alpha of a grid from the same targets table "
            + "(no teacher rerun), evaluate them together on one split and print the comparison: "
            + "accuracy, agreement with the teacher, ECE, NLL, and the best T and alpha. Writes "
            + "a directory per student, report/, sweep.json and sweep.html.",
        "Keys: section 'sweep', and section 'train' for everything but T, alpha and output."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success (complete students are not trained again)",
        "1:the job failed (cause on stderr)", "2:bad usage"})
final class SweepCommand implements Callable<Integer> {
  @Mixin
  JobOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return JobRunner.run(JobCatalog.SWEEP, options, spec.commandLine().getOut());
  }
}
