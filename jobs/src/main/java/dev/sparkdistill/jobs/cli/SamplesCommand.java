package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.jobs.bench.ImageFolders;
import dev.sparkdistill.jobs.bench.TabularFeatures;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "samples", mixinStandardHelpOptions = true,
    description = {"Write the IDX dataset of section prepare (e.g. --config "
        + "conf/fashion-mnist.conf) in another input format, to try prepare's other paths on "
        + "known data: images (PNG files in a folder per class, train/ and test/) or csv (a "
        + "table of 74 measurements per image on wildly different scales, train.csv and "
        + "test.csv). Writes to a temporary name renamed into place; an existing output is "
        + "kept."},
    subcommands = {SamplesCommand.Images.class, SamplesCommand.Csv.class})
final class SamplesCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
        "missing format: one of " + spec.subcommands().keySet());
  }


  /** What both formats take and do: a split at a time, each written once. */
  abstract static class Format implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "The folder to write into.")
    String out;

    @Spec
    CommandSpec spec;

    /** Where a split goes below --out, and what the writer's count counts. */
    abstract String target(Split split);

    abstract String counted();

    /** Writes a split of {@code idx} to {@code path}; returns how many it wrote. */
    abstract int write(PrepareConfig idx, Split split, Path path);

    /**
     * Checks the IDX config the samples come from before anything is written, then writes them.
     * Writing local files needs no Spark, so none is started; an output that exists is kept
     * whatever --mode says.
     */
    @Override
    public Integer call() {
      com.typesafe.config.Config resolved = JobRunner.resolve(options.configFile,
          options.settings(PrepareConfig.SECTION));
      PrepareConfig config = ImageFolders.idxConfig(resolved, "samples");
      PrintWriter printer = spec.commandLine().getOut();
      if (options.printConfig) {
        printer.print(ConfigRendering.describe(resolved, PrepareConfig.SECTION));
        printer.flush();
        return 0;
      }
      for (Split split : List.of(Split.TRAIN, Split.TEST)) {
        ImageFolders.writeOnce(Path.of(out, target(split)), counted(), printer,
            path -> write(config, split, path));
      }
      return 0;
    }
  }

  @Command(name = "images", mixinStandardHelpOptions = true,
      description = "PNG files in a folder per class: OUT/train/<class>/ and OUT/test/<class>/; "
          + "the folders conf/fashion-mnist-images.conf reads with OUT = "
          + "data/fashion-mnist-images.")
  static final class Images extends Format {
    @Override
    String target(Split split) {
      return split.value();
    }

    @Override
    String counted() {
      return "PNG files";
    }

    @Override
    int write(PrepareConfig idx, Split split, Path path) {
      return ImageFolders.write(Path.of(idx.input(split).orElseThrow()),
          Path.of(idx.idxLabels().get(split)), path, ImageFolders.folderNames(idx),
          Integer.MAX_VALUE, i -> false).size();
    }
  }

  @Command(name = "csv", mixinStandardHelpOptions = true,
      description = "OUT/train.csv and OUT/test.csv: id, label (the class index) and 74 "
          + "measurements per image; the files conf/fashion-mnist-csv.conf reads with OUT = "
          + "data/fashion-mnist-csv.")
  static final class Csv extends Format {
    @Override
    String target(Split split) {
      return split.value() + ".csv";
    }

    @Override
    String counted() {
      return "rows";
    }

    @Override
    int write(PrepareConfig idx, Split split, Path path) {
      return TabularFeatures.write(Path.of(idx.input(split).orElseThrow()),
          Path.of(idx.idxLabels().get(split)), path, split.value() + "-", Integer.MAX_VALUE);
    }
  }
}
