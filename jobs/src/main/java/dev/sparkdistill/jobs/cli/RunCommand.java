package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.RunConfig;
import dev.sparkdistill.jobs.SparkPhases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = {
        "Run a pipeline: the distill command lines in run.steps, in order, in one Spark "
            + "application. A step whose output is already complete for the same inputs and "
            + "config skips itself, so rerunning after a failure resumes where it stopped; a "
            + "step whose inputs or config changed is rebuilt (each step runs with --mode "
            + "refresh unless it names a --mode).",
        "Keys: section 'run' of the reference configuration."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every step succeeded or was already complete",
        "1:a step failed (its cause on stderr)", "2:bad usage"})
final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Mixin
  JobOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return JobRunner.run(RunConfig.SECTION, options, spec.commandLine().getOut(),
        RunConfig::from, (spark, config) -> {
          List<List<String>> steps = config.steps();
          StringBuilder times = new StringBuilder("pipeline complete; wall time per step:\n");
          for (int i = 0; i < steps.size(); i++) {
            String line = String.join(" ", steps.get(i));
            String step = "step " + (i + 1) + " of " + steps.size() + " (" + line + ")";
            LOG.info("pipeline {}: start", step);
            long start = System.nanoTime();
            StringWriter errors = new StringWriter();
            int code = DistillCli.execute(spec.commandLine().getOut(),
                new PrintWriter(errors, true), withRefresh(steps.get(i)));
            spec.commandLine().getErr().print(errors);
            if (code != 0) {
              throw new DistillException("pipeline " + step + " failed: " + lastLine(errors));
            }
            String took = SparkPhases.seconds(System.nanoTime() - start);
            LOG.info("pipeline {}: done in {}", step, took);
            times.append(String.format(java.util.Locale.ROOT, "  %2d. %-10s %9s  %s%n", i + 1,
                steps.get(i).get(0), took, line));
          }
          spec.commandLine().getOut().print(times);
          spec.commandLine().getOut().flush();
        });
  }

  /** A step without --mode refreshes: skipped when complete and current, else rebuilt. */
  private static String[] withRefresh(List<String> step) {
    List<String> args = new java.util.ArrayList<>(step);
    if (!args.contains("--mode")) {
      args.addAll(List.of("--mode", "refresh"));
    }
    return args.toArray(String[]::new);
  }

  private static String lastLine(StringWriter errors) {
    List<String> lines = errors.toString().lines().toList();
    return lines.isEmpty() ? "exit code not 0" : lines.get(lines.size() - 1);
  }
}
