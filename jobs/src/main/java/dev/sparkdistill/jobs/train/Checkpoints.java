package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.model.ConvolutionHelpers;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Model files on any Hadoop path: one checkpoint per epoch ({@code epoch-0003.zip}: parameters,
 * configuration and updater state), written under a temporary name and renamed, so a checkpoint
 * that exists is whole.
 */
final class Checkpoints {
  private static final Pattern NAME = Pattern.compile("epoch-(\\d+)\\.zip");

  private final Path directory;
  private final Configuration conf;
  private final FileSystem fs;

  Checkpoints(Path directory, Configuration conf) {
    this.directory = directory;
    this.conf = conf;
    this.fs = HadoopFiles.fs(directory, conf);
  }

  /**
   * Records which config and input the checkpoints belong to, and refuses to resume from
   * checkpoints another config or input wrote (their weights would silently carry over).
   */
  void claim(String configDigest, String inputDigest, boolean resume) {
    Path owner = new Path(directory, "_run.json");
    String expected = "{\"configDigest\": \"" + configDigest + "\", \"inputManifestDigest\": \""
        + inputDigest + "\"}\n";
    if (resume && HadoopFiles.exists(owner, conf)) {
      String found = HadoopFiles.readText(owner.toString(), conf);
      if (!found.equals(expected)) {
        throw new DistillException("--resume: the checkpoints in " + directory + " were written"
            + " with another config or input; resume with the same ones, or use --mode "
            + "overwrite to start again");
      }
      return;
    }
    HadoopFiles.writeText(owner, expected, conf);
  }

  Path path(int epoch) {
    return new Path(directory, String.format("epoch-%04d.zip", epoch));
  }

  void save(MultiLayerNetwork network, int epoch) {
    write(network, path(epoch), fs);
  }

  static void write(MultiLayerNetwork network, Path target, FileSystem fs) {
    Path partial = new Path(target.getParent(), "." + target.getName() + ".partial");
    try {
      try (OutputStream out = fs.create(partial, true)) {
        ModelSerializer.writeModel(network, out, true);
      }
      fs.delete(target, false);
      if (!fs.rename(partial, target)) {
        throw new DistillException("cannot rename " + partial + " to " + target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write model " + target, e);
    }
  }

  Optional<Integer> newestEpoch() {
    try {
      if (!fs.exists(directory)) {
        return Optional.empty();
      }
      int newest = -1;
      for (FileStatus status : fs.listStatus(directory)) {
        Matcher m = NAME.matcher(status.getPath().getName());
        if (m.matches()) {
          newest = Math.max(newest, Integer.parseInt(m.group(1)));
        }
      }
      return newest < 0 ? Optional.empty() : Optional.of(newest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + directory, e);
    }
  }

  MultiLayerNetwork load(int epoch) {
    return read(path(epoch), conf);
  }

  /** A saved MultiLayerNetwork with its updater state; a clear error when it is not one. */
  static MultiLayerNetwork read(Path file, Configuration conf) {
    try (InputStream in = HadoopFiles.fs(file, conf).open(file)) {
      return ConvolutionHelpers.attach(ModelSerializer.restoreMultiLayerNetwork(in, true));
    } catch (java.io.FileNotFoundException e) {
      throw new DistillException("model file " + file + " does not exist");
    } catch (IOException | RuntimeException e) {
      throw new DistillException("model file " + file + " is not a readable DL4J model: "
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
          + e.getMessage().lines().findFirst().orElse("")));
    }
  }
}
