package dev.sparkdistill.jobs.cli;

import com.typesafe.config.Config;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The common path of every job: resolve and validate the typed config before any SparkSession
 * exists, log it with secrets masked, then get the session spark-submit configured and run.
 * Master, memory and serializer come from spark-submit and conf files, never from here.
 */
final class JobRunner {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);

  private JobRunner() {}

  static <C> int run(String section, JobOptions options, PrintWriter out,
      Function<Config, C> typed, BiConsumer<SparkSession, C> job) {
    return run(List.of(section), options, out, typed, job);
  }

  /**
   * @param sections the job's own section first ({@code --mode} applies to it), then any other
   *     section the job reads, all of them logged and printed by {@code --print-config}
   */
  static <C> int run(List<String> sections, JobOptions options, PrintWriter out,
      Function<Config, C> typed, BiConsumer<SparkSession, C> job) {
    String section = sections.get(0);
    Optional<String> text = Optional.ofNullable(options.configFile)
        .map(file -> HadoopFiles.readConfigText(file, hadoopConfFromSparkConf()));
    Config resolved = ConfigLayers.resolve(text,
        options.configFile == null ? "" : options.configFile, options.settings(section));
    C config = typed.apply(resolved);
    String rendered = sections.stream().map(s -> ConfigRendering.describe(resolved, s))
        .collect(java.util.stream.Collectors.joining());
    if (options.printConfig) {
      out.print(rendered);
      out.flush();
      return 0;
    }
    LOG.info("distill {} {}, configuration:\n{}", section, ProjectVersion.get(), rendered);
    SparkSession spark = SparkSession.builder().appName("distill " + section).getOrCreate();
    job.accept(spark, config);
    logWhereTasksRan(section, spark);
    return 0;
  }

  /** Says whether the tasks ran in separate executor JVMs or in the driver (local mode). */
  private static void logWhereTasksRan(String section, SparkSession spark) {
    // The status tracker lists the driver among the executors.
    int executors = spark.sparkContext().statusTracker().getExecutorInfos().length - 1;
    LOG.info("distill {} done; master {}, {}", section, spark.sparkContext().master(),
        executors == 0 ? "tasks ran in the driver JVM"
            : executors + " executor JVM(s) besides the driver");
  }

  /**
   * A Hadoop configuration with the {@code spark.hadoop.*} settings spark-submit passed, so the
   * config file can be read from HDFS or S3 before the SparkSession exists.
   */
  static Configuration hadoopConfFromSparkConf() {
    Configuration conf = new Configuration();
    for (Tuple2<String, String> entry : new SparkConf().getAllWithPrefix("spark.hadoop.")) {
      conf.set(entry._1(), entry._2());
    }
    return conf;
  }
}
