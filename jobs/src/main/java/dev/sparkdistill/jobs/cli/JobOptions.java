package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.WriteMode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every job command takes. */
public final class JobOptions {
  @Option(names = "--config", paramLabel = "FILE",
      description = "Job configuration (HOCON): a local path or any Hadoop path (hdfs://, s3a://).")
  String configFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one configuration key; repeatable, later wins. "
          + "Lists and objects in HOCON form, e.g. --set prepare.feature-shape=[1,28,28].")
  List<String> settings = new ArrayList<>();

  @Option(names = "--mode", paramLabel = "MODE",
      description = "What to do when the output exists: error (refuse, but skip the run when "
          + "the output is already complete for the same inputs and config), overwrite, or "
          + "refresh (skip when complete for the same inputs and config, else replace).")
  WriteMode mode;

  @Option(names = "--print-config",
      description = "Validate the configuration, print it resolved (secrets masked) and exit "
          + "without starting Spark.")
  boolean printConfig;

  /** The {@code --set} overrides, with {@code --mode} applied to the job's section last. */
  List<String> settings(String section) {
    List<String> all = new ArrayList<>(settings);
    if (mode != null) {
      all.add(section + ".mode=" + mode.name().toLowerCase(java.util.Locale.ROOT));
    }
    return all;
  }
}
