package dev.sparkdistill.jobs.cli;

import com.typesafe.config.Config;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
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

  /**
   * Runs {@code job} as its command does: the config from {@code --config} and the overrides,
   * validated, then printed ({@code --print-config}) or logged and run.
   */
  static <C> int run(JobCatalog.Job<C> job, JobOptions options, PrintWriter out) {
    JobCatalog.Ready<C> ready = job.ready(resolve(options.configFile,
        options.settings(job.section())));
    String rendered = render(ready);
    if (options.printConfig) {
      out.print(rendered);
      out.flush();
      return 0;
    }
    LOG.info("distill {} {}, configuration:\n{}", job.name(), ProjectVersion.get(), rendered);
    SparkSession spark = SparkSession.builder().appName("distill " + job.name()).getOrCreate();
    ready.run(spark, out);
    logWhereTasksRan(job.name(), spark);
    return 0;
  }

  /**
   * A job's configuration: the reference, then {@code configFile} (any Hadoop path; null for
   * none), then the overrides.
   */
  static Config resolve(String configFile, List<String> settings) {
    Optional<String> text = Optional.ofNullable(configFile)
        .map(file -> HadoopFiles.readConfigText(file, hadoopConfFromSparkConf()));
    return ConfigLayers.resolve(text, configFile == null ? "" : configFile, settings);
  }

  /** The job's sections as resolved, secrets masked. */
  static String render(JobCatalog.Ready<?> ready) {
    return ready.job().sections().stream()
        .map(section -> ConfigRendering.describe(ready.resolved(), section))
        .collect(java.util.stream.Collectors.joining());
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
