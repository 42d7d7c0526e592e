package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.jobs.train.TrainBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "benchmark", mixinStandardHelpOptions = true,
    description = "Measure performance side by side in one run and print the ratios.",
    subcommands = {BenchmarkCommand.Train.class})
final class BenchmarkCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "missing benchmark: one of " + spec.subcommands().keySet());
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = {"Seconds per epoch and validation loss per epoch of each training engine "
          + "against a plain single-JVM fit on the same minibatches, cores and initial weights.",
          "Takes the train job's configuration (section 'train'); writes nothing."})
  static final class Train implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--plain-threads", split = ",", defaultValue = "1,2",
        description = "ND4J thread counts to try for the single-JVM fit (default: 1,2); the "
            + "fastest is the baseline.")
    int[] plainThreads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return JobRunner.run(TrainConfig.SECTION, options, spec.commandLine().getOut(),
          TrainConfig::from, (spark, config) ->
              new TrainBenchmark(config, spec.commandLine().getOut()).run(spark, plainThreads));
    }
  }
}
