package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "prepare", mixinStandardHelpOptions = true,
    description = {
        "Read raw data (IDX, CSV, Parquet or image files) and write the examples table: id, "
            + "features, label, "
            + "split, with _rejected rows, _manifest.json and _SUCCESS.",
        "Keys: section 'prepare' of the reference configuration."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success, or the output was already complete", "1:the job failed (cause on stderr)",
        "2:bad usage"})
final class PrepareCommand implements Callable<Integer> {
  @Mixin
  JobOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return JobRunner.run(JobCatalog.PREPARE, options, spec.commandLine().getOut());
  }
}
