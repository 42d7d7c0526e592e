package dev.sparkdistill.jobs.cli;

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

  /**
   * The IDX config the samples come from, checked before anything is written. Writing local
   * files needs no Spark, so none is started.
   */
  static PrepareConfig idx(JobOptions options) {
    return ImageFolders.idxConfig(JobRunner.resolve(options.configFile,
        options.settings(PrepareConfig.SECTION)), "samples");
  }


  @Command(name = "images", mixinStandardHelpOptions = true,
      description = "PNG files in a folder per class: OUT/train/<class>/ and OUT/test/<class>/; "
          + "the folders conf/fashion-mnist-images.conf reads with OUT = "
          + "data/fashion-mnist-images.")
  static final class Images implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "The folder to write train/ and test/ into.")
    String out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      PrepareConfig config = idx(options);
      PrintWriter printer = spec.commandLine().getOut();
      List<String> folders = ImageFolders.folderNames(config);
      for (Split split : List.of(Split.TRAIN, Split.TEST)) {
        ImageFolders.writeOnce(Path.of(out, split.value()), "PNG files", printer,
            dir -> ImageFolders.write(Path.of(config.input(split).orElseThrow()),
                Path.of(config.idxLabels().get(split)), dir, folders, Integer.MAX_VALUE,
                i -> false).size());
      }
      return 0;
    }
  }

  @Command(name = "csv", mixinStandardHelpOptions = true,
      description = "OUT/train.csv and OUT/test.csv: id, label (the class index) and 74 "
          + "measurements per image; the files conf/fashion-mnist-csv.conf reads with OUT = "
          + "data/fashion-mnist-csv.")
  static final class Csv implements Callable<Integer> {
    @Mixin
    JobOptions options;

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "The folder to write train.csv and test.csv into.")
    String out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      PrepareConfig config = idx(options);
      PrintWriter printer = spec.commandLine().getOut();
      for (Split split : List.of(Split.TRAIN, Split.TEST)) {
        ImageFolders.writeOnce(Path.of(out, split.value() + ".csv"), "rows", printer,
            file -> TabularFeatures.write(Path.of(config.input(split).orElseThrow()),
                Path.of(config.idxLabels().get(split)), file, split.value() + "-",
                Integer.MAX_VALUE));
      }
      return 0;
    }
  }
}
