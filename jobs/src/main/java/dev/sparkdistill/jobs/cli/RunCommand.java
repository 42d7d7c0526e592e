package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.RunConfig;
import dev.sparkdistill.common.data.BatchName;
import dev.sparkdistill.jobs.SparkPhases;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = {
        "Run a pipeline: the jobs in run.steps ({ job = train, config = FILE, set { KEY = "
            + "VALUE }, mode = MODE }), in order, in one Spark application; every step's config "
            + "is validated before the first starts. A step whose output is already complete "
            + "for the same inputs and config skips itself, so rerunning after a failure resumes "
            + "where it stopped; a step whose inputs or config changed is rebuilt (each step "
            + "runs with mode refresh unless it names one). --set batch=NAME (a scheduler's "
            + "logical date) reaches every step's config, where ${batch} refers to it.",
        "Keys: section 'run' of the reference configuration."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every step succeeded or was already complete",
        "1:a step failed (its cause on stderr)", "2:bad usage"})
final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  /** The pipeline's steps, each with its config validated. */
  record Pipeline(RunConfig config, List<JobCatalog.Ready<?>> steps) {}

  static final JobCatalog.Job<Pipeline> RUN = new JobCatalog.Job<>("run",
      List.of(RunConfig.SECTION), RunCommand::pipeline, RunCommand::runSteps);

  @Mixin
  JobOptions options;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    return JobRunner.run(RUN, options, spec.commandLine().getOut());
  }

  /**
   * Every step's config resolved and validated, as the typed config of {@code run}: so it
   * happens before Spark starts, and a typo in the last step fails the pipeline at once.
   */
  private static Pipeline pipeline(com.typesafe.config.Config resolved) {
    RunConfig config = RunConfig.from(resolved);
    config.deprecations().forEach(LOG::warn);
    List<RunConfig.Step> steps = config.steps();
    // A scheduled run's batch reaches every step's config, where ${batch} names it; a step's
    // own settings come after it and win.
    String batch = BatchName.of(resolved);
    List<JobCatalog.Ready<?>> ready = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      RunConfig.Step step = steps.get(i);
      List<String> settings = new ArrayList<>();
      if (!batch.isEmpty()) {
        settings.add(BatchName.KEY + "=" + batch);
      }
      settings.addAll(step.settingsWithMode());
      try {
        ready.add(JobCatalog.named(step.job()).ready(JobRunner.resolve(
            step.config().isEmpty() ? null : step.config(), settings)));
      } catch (RuntimeException e) {
        throw failed(name(i, steps), e);
      }
    }
    return new Pipeline(config, List.copyOf(ready));
  }

  /** The steps in order on the one session; a step's failure ends the pipeline naming it. */
  private static void runSteps(SparkSession spark, Pipeline pipeline, PrintWriter out) {
    List<RunConfig.Step> steps = pipeline.config().steps();
    List<JobCatalog.Ready<?>> ready = pipeline.steps();
    StringBuilder times = new StringBuilder("pipeline complete; wall time per step:\n");
    for (int i = 0; i < steps.size(); i++) {
      String step = name(i, steps);
      LOG.info("pipeline {}: start, configuration:\n{}", step, JobRunner.render(ready.get(i)));
      long start = System.nanoTime();
      try {
        ready.get(i).run(spark, out);
      } catch (RuntimeException e) {
        throw failed(step, e);
      }
      String took = SparkPhases.seconds(System.nanoTime() - start);
      LOG.info("pipeline {}: done in {}", step, took);
      times.append(String.format(Locale.ROOT, "  %2d. %-10s %9s  %s%n", i + 1,
          steps.get(i).job(), took, steps.get(i).describe()));
    }
    out.print(times);
    out.flush();
  }

  private static String name(int i, List<RunConfig.Step> steps) {
    return "step " + (i + 1) + " of " + steps.size() + " (" + steps.get(i).describe() + ")";
  }

  /** The step's failure, named: its one-line cause, and the exception itself as the cause. */
  private static DistillException failed(String step, RuntimeException e) {
    if (!(DistillCli.userFacing(e) instanceof DistillException)) {
      LOG.error("pipeline {} failed", step, e); // not a failure the job foresaw: keep its trace
    }
    return new DistillException("pipeline " + step + " failed: " + DistillCli.oneLineCause(e),
        e);
  }
}
