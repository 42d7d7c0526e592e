package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.jobs.bench.DailyBenchmark;
import dev.sparkdistill.jobs.bench.ImagesBenchmark;
import dev.sparkdistill.jobs.bench.InferBenchmark;
import dev.sparkdistill.jobs.bench.LoadBenchmark;
import dev.sparkdistill.jobs.bench.OnnxBenchmark;
import dev.sparkdistill.jobs.bench.TrainBenchmark;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "benchmark", mixinStandardHelpOptions = true,
    description = "Measure performance side by side in one run and print the ratios.",
    subcommands = {BenchmarkCommand.Train.class, BenchmarkCommand.Infer.class,
        BenchmarkCommand.Load.class, BenchmarkCommand.Onnx.class, BenchmarkCommand.Daily.class,
        BenchmarkCommand.Images.class})
final class BenchmarkCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "missing benchmark: one of " + spec.subcommands().keySet());
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = {"Time to accuracy: the wall time each training engine needs to reach the "
          + "best validation loss (within 2%%) of a plain single-JVM fit on the same rows, cores "
          + "and initial weights, next to seconds per epoch and test accuracy after the same "
          + "epochs.",
          "Takes the train job's configuration (section 'train'); writes nothing."})
  static final class Train implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--plain-threads", split = ",", defaultValue = "1,2",
        description = "ND4J thread counts to try for the single-JVM fit (default: 1,2); the "
            + "fastest is the baseline.")
    int[] plainThreads;

    @Option(names = "--engines", split = ",", defaultValue = "barrier,dl4j",
        description = "Training engines to measure (default: barrier,dl4j).")
    List<String> engines;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      List<TrainConfig.Engine> kinds = new java.util.ArrayList<>();
      for (String engine : engines) {
        try {
          kinds.add(TrainConfig.Engine.valueOf(engine.trim().toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(),
              "--engines takes barrier and/or dl4j, got '" + engine + "'");
        }
      }
      return JobRunner.run(new JobCatalog.Job<>("benchmark train", List.of(TrainConfig.SECTION),
          TrainConfig::from, (spark, config, out) -> new TrainBenchmark(config, out)
              .run(spark, plainThreads, kinds)), options, spec.commandLine().getOut());
    }
  }

  @Command(name = "infer", mixinStandardHelpOptions = true,
      description = {"The infer job's rows/s, as configured by default and with the features "
          + "copied, against a bare loop of the engine it chooses (ONNX Runtime or ND4J) and a "
          + "bare ND4J loop, over the same rows in memory (same teacher, same threads), after "
          + "untimed rounds on the test split (eight of the job, one of the loop) so that both "
          + "run warm, and with a full garbage collection before each timed run; and targets "
          + "bytes per row, dense vs top-k, for the teacher's classes and a synthetic "
          + "1,000-class teacher.",
          "Takes the infer job's configuration (section 'infer'); writes only under --work."})
  static final class Infer implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--work", required = true, paramLabel = "DIR",
        description = "Directory for the benchmark's own tables (replaced).")
    String work;

    @Option(names = "--repeats", defaultValue = "3",
        description = "Runs of the speed comparison; the median ratio is printed (default: 3).")
    int repeats;

    @Option(names = "--top-k-1000", defaultValue = "20",
        description = "k of the top-k form for the 1,000-class teacher (default: 20).")
    int topK1000;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return JobRunner.run(new JobCatalog.Job<>("benchmark infer", List.of(InferConfig.SECTION),
          InferConfig::from, (spark, config, out) -> new InferBenchmark(config, work, out)
              .run(spark, repeats, topK1000)), options, spec.commandLine().getOut());
    }
  }

  @Command(name = "onnx", mixinStandardHelpOptions = true,
      description = {"The first teacher scored by ND4J (its model file) and by ONNX Runtime (the "
          + "same model exported to ONNX in memory) over one split's rows in memory, same "
          + "batches and threads: rows/s of each per round, the ratio, its median, and the "
          + "largest logit difference.",
          "Takes the infer job's configuration (section 'infer': examples, teachers, batch "
              + "size); writes nothing."})
  static final class Onnx implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--split", defaultValue = "test",
        description = "Split whose rows are scored (default: test).")
    String split;

    @Option(names = "--rounds", defaultValue = "3",
        description = "Rounds of the comparison; the median ratio is printed (default: 3).")
    int rounds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      if (rounds < 1) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--rounds must be at least 1, got " + rounds);
      }
      return JobRunner.run(new JobCatalog.Job<>("benchmark onnx", List.of(InferConfig.SECTION),
          InferConfig::from, (spark, config, out) -> new OnnxBenchmark(config, out)
              .run(spark, split, rounds)), options, spec.commandLine().getOut());
    }
  }

  @Command(name = "load", mixinStandardHelpOptions = true,
      description = {"How time and driver heap grow with rows: the examples table copied at "
          + "each --scales factor, then the infer job and one training epoch of an MLP student "
          + "on its targets at each size. Cost should grow linearly, retained heap stay flat.",
          "Takes the infer job's configuration (section 'infer': examples and teacher); writes "
              + "only under --work."})
  static final class Load implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--work", required = true, paramLabel = "DIR",
        description = "Directory for the copies, targets and student (replaced).")
    String work;

    @Option(names = "--scales", split = ",", defaultValue = "1,4,10",
        description = "Copies of the examples table to measure (default: 1,4,10).")
    int[] scales;

    @Option(names = "--student", paramLabel = "KEY=VALUE",
        description = "A train setting for the student, e.g. train.model.hidden=[128]; "
            + "repeatable. Default: MLP [64], alpha 0.5, one epoch.")
    java.util.List<String> student = new java.util.ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return JobRunner.run(new JobCatalog.Job<>("benchmark load", List.of(InferConfig.SECTION),
          InferConfig::from, (spark, config, out) -> new LoadBenchmark(config, work, out)
              .run(spark, scales, student)), options, spec.commandLine().getOut());
    }
  }

  @Command(name = "daily", mixinStandardHelpOptions = true,
      description = {"Scheduled ETL against rebuilding: the examples table of infer.input cut "
          + "into --days days of arrivals, each day run as conf/fashion-mnist-daily.conf runs "
          + "it (prepare the day's batch, infer it, warm-start the student on it and a replay "
          + "of earlier rows, evaluate), and at each --rebuild-at count of days everything so "
          + "far rebuilt as whole tables with a new student; each step's time, the ratio, and "
          + "both students' test accuracy.",
          "Takes sections 'infer' (examples, teacher) and 'train' (the student) of the "
              + "configuration, e.g. --config conf/fashion-mnist-student.conf --set "
              + "infer.input=... --set infer.teachers=[...]; writes only under --work."})
  static final class Daily implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--work", required = true, paramLabel = "DIR",
        description = "Directory for the arrivals, the daily tables and the rebuilds.")
    String work;

    @Option(names = "--days", defaultValue = "10",
        description = "Days the rows are cut into (default: 10).")
    int days;

    @Option(names = "--rebuild-at", split = ",", defaultValue = "1,3,10",
        description = "Counts of days after which to time a rebuild (default: 1,3,10).")
    int[] rebuildAt;

    @Option(names = "--arrivals-only",
        description = "Write the days' files under --work/incoming/<date>/ and stop: with "
            + "--work data/fashion-mnist-daily, the arrivals conf/fashion-mnist-daily.conf "
            + "reads.")
    boolean arrivalsOnly;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      if (days < 1 || java.util.Arrays.stream(rebuildAt).anyMatch(n -> n < 1 || n > days)) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--days must be at least 1 and every --rebuild-at from 1 to --days");
      }
      return JobRunner.run(new JobCatalog.Job<>("benchmark daily",
          List.of(InferConfig.SECTION, TrainConfig.SECTION), DailyBenchmark::validated,
          (spark, config, out) -> new DailyBenchmark(config, work, out)
              .run(spark, days, rebuildAt, arrivalsOnly)), options,
          spec.commandLine().getOut());
    }
  }

  @Command(name = "images", mixinStandardHelpOptions = true,
      description = {"prepare of image files against a bare decode loop over the same files "
          + "on the same cores: 28 x 28 PNG files at 1x (7,000) and 10x (70,000), and 7,000 "
          + "photo-sized files (256 x 256 RGB JPEG); with the heap the JVM keeps after each "
          + "job.",
          "Takes an IDX prepare config (section 'prepare', e.g. --config "
              + "conf/fashion-mnist.conf) and writes its images once in class folders under "
              + "--work (train/, test/ and sample/ as PNG, photos/ as JPEG), then the "
              + "examples tables beside them."})
  static final class Images implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--work", required = true, paramLabel = "DIR",
        description = "Directory for the image files and the examples tables.")
    String work;

    @Option(names = "--runs", defaultValue = "3",
        description = "Timed runs of each side; the table shows medians (default: 3).")
    int runs;

    @Option(names = "--threads", defaultValue = "2",
        description = "Decode threads of the bare loop: the cores the job has (default: 2).")
    int threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      if (runs < 1 || threads < 1) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--runs and --threads must be at least 1");
      }
      return JobRunner.run(new JobCatalog.Job<>("benchmark images",
          List.of(PrepareConfig.SECTION), ImagesBenchmark::validated,
          (spark, config, out) -> new ImagesBenchmark(config, work, out)
              .run(spark, runs, threads)), options, spec.commandLine().getOut());
    }
  }
}
