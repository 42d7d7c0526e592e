package dev.sparkdistill.jobs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A job of the pipeline that this version does not have yet: says so and exits 1. */
@Command(mixinStandardHelpOptions = true)
final class PendingCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getErr().println("distill " + spec.name()
        + " is not available in this version yet; see the README for what is.");
    return 1;
  }
}
