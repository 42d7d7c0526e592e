package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.jobs.train.TrainJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = {
        "Train a teacher (train.alpha = 0, on an examples table) or a distilled student (on a "
            + "targets table) with synchronous parameter averaging across the executors. Writes "
            + "model.zip, checkpoints/, training-log.json, _manifest.json and _SUCCESS.",
        "Keys: section 'train' of the reference configuration."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success, or the output was already complete",
        "1:the job failed (cause on stderr)", "2:bad usage"})
final class TrainCommand implements Callable<Integer> {
  @Mixin
  JobOptions options;

  @Option(names = "--resume",
      description = "Continue from the newest checkpoint in the output (same as --set train.resume=true).")
  boolean resume;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (resume) {
      options.settings.add(TrainConfig.SECTION + ".resume=true");
    }
    return JobRunner.run(JobCatalog.TRAIN, options, spec.commandLine().getOut());
  }
}
