package dev.sparkdistill.jobs.cli;

import com.typesafe.config.Config;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.config.InferConfig;
import dev.sparkdistill.common.config.PredictConfig;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.config.SweepConfig;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.evaluate.SummaryTable;
import dev.sparkdistill.common.manifest.PredictionsManifest;
import dev.sparkdistill.jobs.evaluate.EvaluateJob;
import dev.sparkdistill.jobs.infer.InferJob;
import dev.sparkdistill.jobs.predict.PredictJob;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import dev.sparkdistill.jobs.sweep.SweepJob;
import dev.sparkdistill.jobs.train.TrainJob;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/**
 * The jobs a command or a {@code run} step starts, each with its config sections, its typed
 * config and what it does on the session: one place, so a command and a pipeline step run a job
 * the same way.
 */
final class JobCatalog {
  private JobCatalog() {}

  /** What a job does with its validated config; {@code out} gets what its command prints. */
  @FunctionalInterface
  interface Body<C> {
    void run(SparkSession spark, C config, PrintWriter out);
  }

  /**
   * @param sections the job's own section first ({@code --mode} applies to it), then any other
   *     section it reads, all of them logged and printed by {@code --print-config}
   */
  record Job<C>(String name, List<String> sections, Function<Config, C> typed, Body<C> body) {
    String section() {
      return sections.get(0);
    }

    /** The job with its config validated: nothing runs yet. */
    Ready<C> ready(Config resolved) {
      return new Ready<>(this, typed.apply(resolved), resolved);
    }
  }

  /** A job and its validated config, ready to run on a session. */
  record Ready<C>(Job<C> job, C config, Config resolved) {
    void run(SparkSession spark, PrintWriter out) {
      job.body().run(spark, config, out);
    }
  }

  static final Job<PrepareConfig> PREPARE = new Job<>("prepare",
      List.of(PrepareConfig.SECTION), PrepareConfig::from,
      (spark, config, out) -> new PrepareJob(config).run(spark));

  static final Job<TrainConfig> TRAIN = new Job<>("train", List.of(TrainConfig.SECTION),
      TrainConfig::from, (spark, config, out) -> new TrainJob(config).run(spark));

  static final Job<InferConfig> INFER = new Job<>("infer", List.of(InferConfig.SECTION),
      InferConfig::from, (spark, config, out) -> new InferJob(config).run(spark));

  static final Job<EvaluateConfig> EVALUATE = new Job<>("evaluate",
      List.of(EvaluateConfig.SECTION), EvaluateConfig::from, (spark, config, out) -> {
        out.print(SummaryTable.render(new EvaluateJob(config).evaluate(spark)));
        out.println("report: " + config.output() + "/report.html");
        out.flush();
      });

  static final Job<PredictConfig> PREDICT = new Job<>("predict",
      List.of(PredictConfig.SECTION), PredictConfig::from, (spark, config, out) -> {
        PredictionsManifest manifest = new PredictJob(config).run(spark);
        out.println("predictions: " + config.output() + " (" + manifest.rows().written()
            + " rows, " + manifest.engine() + ")");
        out.flush();
      });

  /** Every student trains with the train section, so it is shown too. */
  static final Job<SweepConfig> SWEEP = new Job<>("sweep",
      List.of(SweepConfig.SECTION, TrainConfig.SECTION), SweepConfig::from,
      (spark, config, out) -> {
        out.print(new SweepJob(config).run(spark).table());
        out.flush();
      });

  /** The jobs a pipeline step may name, by name. */
  static Job<?> named(String name) {
    return switch (name) {
      case "prepare" -> PREPARE;
      case "train" -> TRAIN;
      case "infer" -> INFER;
      case "evaluate" -> EVALUATE;
      case "predict" -> PREDICT;
      case "sweep" -> SWEEP;
      default -> throw new IllegalArgumentException("no job " + name);
    };
  }
}
