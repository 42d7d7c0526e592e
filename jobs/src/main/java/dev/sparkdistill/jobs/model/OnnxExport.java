package dev.sparkdistill.jobs.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.ModelManifest;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.common.onnx.OnnxExporter;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.io.OutputDirectory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code export --format onnx}: a trained DL4J model to an ONNX file. Runs on the driver alone
 * (no Spark job): reads the model and the manifest that gives its feature shape and class names
 * (the examples table's, else the model directory's own), exports, runs the result in ONNX
 * Runtime against DL4J on seeded rows, and only then writes it, to a hidden temporary file
 * renamed into place, so a failed export leaves nothing that looks complete.
 */
public final class OnnxExport {
  /** Rows of the check run, and the largest difference of logits accepted. */
  public static final int CHECK_ROWS = 64;
  public static final double BOUND = 1e-4;

  /**
   * @param rawInput put the examples' scaling in front of the network, so that the model takes
   *     the raw numbers {@code prepare} read
   */
  public record Options(String model, Optional<String> examples, String output,
      boolean overwrite, boolean rawInput) {
    public Options(String model, Optional<String> examples, String output, boolean overwrite) {
      this(model, examples, output, overwrite, false);
    }
  }

  /** What was written, with the check's largest logit difference. */
  public record Result(String output, long bytes, int nodes, double maxAbsDiff) {}

  private final Options options;

  public OnnxExport(Options options) {
    this.options = options;
  }

  public Result run(Configuration conf) {
    Path output = new Path(options.output());
    if (!options.overwrite() && HadoopFiles.exists(output, conf)) {
      throw new DistillException("output " + output + " exists; use --overwrite to replace it");
    }
    if (ShippedModel.isOnnx(options.model())) {
      throw new DistillException("model " + options.model() + " is already an ONNX file");
    }
    byte[] source = ShippedModel.readBytes(options.model(), conf, "model");
    MultiLayerNetwork network = ShippedModel.deserialize("model", options.model(), source);
    TableShape shape = shape(conf);
    FeatureScaling scaling = options.rawInput() ? examplesScaling(conf) : null;
    onnx.Onnx.ModelProto model = OnnxExporter.export(network, new OnnxExporter.Description(
        shape.featureShape(), shape.classNames(), ShippedModel.sha256(source), scaling));
    byte[] bytes = model.toByteArray();
    double diff = maxAbsDiff(network, bytes, shape, scaling);
    if (diff > BOUND) {
      throw new DistillException("the exported model's logits differ from DL4J's by " + diff
          + " (more than " + BOUND + ") on " + CHECK_ROWS + " seeded rows; nothing written");
    }
    writeAtomically(output, bytes, conf);
    return new Result(output.toString(), bytes.length, model.getGraph().getNodeCount(), diff);
  }

  /** Feature shape and class names: from --examples, else the model directory's manifest. */
  private TableShape shape(Configuration conf) {
    String manifest = options.examples().map(dir -> dir + "/_manifest.json")
        .orElseGet(() -> new Path(new Path(options.model()).getParent(), "_manifest.json")
            .toString());
    if (!HadoopFiles.exists(new Path(manifest), conf)) {
      throw new DistillException(manifest + " does not exist: the export needs the feature "
          + "shape and class names; give --examples with the examples table the model was "
          + "trained on");
    }
    TableShape read = ManifestJson.read(HadoopFiles.readText(manifest, conf), TableShape.class,
        manifest);
    int count = read.featureShape().stream().reduce(1, Math::multiplyExact);
    return new TableShape(read.kind(), read.featureShape(), count, read.classCount(),
        read.classNamesOrIndexes());
  }

  /**
   * The scaling {@code prepare} applied to the rows the model learned from: the examples
   * table's, found through the manifests (a model's input, a targets table's examples).
   */
  private FeatureScaling examplesScaling(Configuration conf) {
    String from = "model " + options.model();
    String table = options.examples().orElseGet(() -> modelInput(conf));
    for (int hop = 0; hop < 2 && table != null && !table.isEmpty(); hop++) {
      InputTable input = InputTable.complete(table, "--raw-input: the table", "examples or "
          + "targets table", "give --examples with the examples table", conf);
      if (ExamplesManifest.KIND.equals(input.shape().kind())) {
        return input.manifest(ExamplesManifest.class).scaling();
      }
      if (!TargetsManifest.KIND.equals(input.shape().kind())) {
        break;
      }
      from = table;
      table = input.manifest(TargetsManifest.class).examples();
    }
    throw new DistillException("--raw-input needs the scaling of the examples the model was "
        + "trained on, and " + from + " does not lead to an examples table; give --examples");
  }

  /** The table the model was trained on, from the model directory's manifest ("" if none). */
  private String modelInput(Configuration conf) {
    Path manifest = new Path(new Path(options.model()).getParent(), OutputDirectory.MANIFEST);
    if (!HadoopFiles.exists(manifest, conf)) {
      return "";
    }
    String input = ManifestJson.read(HadoopFiles.readText(manifest.toString(), conf),
        ModelManifest.class, manifest.toString()).input();
    return input == null ? "" : input;
  }

  /**
   * ONNX Runtime against DL4J on seeded rows whose scaled values lie in [0, 1), the range of
   * scaled pixels; with {@code scaling}, ONNX Runtime gets the raw rows that scale to them and
   * DL4J the rows as {@code prepare} stores them.
   */
  static double maxAbsDiff(MultiLayerNetwork network, byte[] onnx, TableShape shape,
      FeatureScaling scaling) {
    Random random = new Random(7);
    int width = shape.featureCount();
    float[] stored = new float[CHECK_ROWS * width];
    float[] rows = new float[stored.length];
    for (int i = 0; i < rows.length; i++) {
      float scaled = random.nextFloat();
      rows[i] = scaling == null ? scaled : (float) scaling.unapply(i % width, scaled);
      stored[i] = scaling == null ? scaled : scaling.apply(i % width, rows[i]);
    }
    float[][] expected = network.output(Nd4j.create(stored,
        new long[] {CHECK_ROWS, width}, 'c'), false).toFloatMatrix();
    try (OrtSession session = OnnxModel.open(onnx, "exported model", "(in memory)")) {
      float[][] actual = OnnxModel.run(session,
          OnnxModel.checkedInputShape(session, shape, "exported model", "(in memory)"), rows,
          CHECK_ROWS);
      double max = 0;
      for (int i = 0; i < CHECK_ROWS; i++) {
        for (int c = 0; c < shape.classCount(); c++) {
          max = Math.max(max, Math.abs(actual[i][c] - expected[i][c]));
        }
      }
      return max;
    } catch (OrtException e) {
      throw new DistillException("ONNX Runtime cannot run the exported model: "
          + e.getMessage());
    }
  }

  private static void writeAtomically(Path output, byte[] bytes, Configuration conf) {
    FileSystem fs = HadoopFiles.fs(output, conf);
    Path temporary = new Path(output.getParent(),
        "." + output.getName() + "." + UUID.randomUUID() + ".tmp");
    try {
      try (OutputStream out = fs.create(temporary, false)) {
        out.write(bytes);
      }
      if (fs.exists(output) && !fs.delete(output, false)) {
        throw new IOException("cannot replace " + output);
      }
      if (!fs.rename(temporary, output)) {
        throw new IOException("cannot rename " + temporary + " to " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + output, e);
    } finally {
      try {
        fs.delete(temporary, false);
      } catch (IOException e) {
        // best effort: a hidden .tmp file is all that can be left
      }
    }
  }
}
