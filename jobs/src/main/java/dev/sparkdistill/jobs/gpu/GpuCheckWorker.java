package dev.sparkdistill.jobs.gpu;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.evaluate.ModelMetrics;
import dev.sparkdistill.common.io.IdxReader;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.runtime.BackendDescription;
import dev.sparkdistill.common.train.Minibatches;
import dev.sparkdistill.jobs.bench.Benchmarks;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;
import dev.sparkdistill.jobs.runtime.NativeBuild;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One side of gpu-check, in a JVM of its own because ND4J picks its backend once per JVM: trains
 * the teacher's network one epoch on a slice of the IDX training images, scores the test slice
 * with ND4J and with ONNX Runtime (the scorers infer uses), and writes the figures and logits to
 * a folder for {@link GpuCheck} to compare. Given the other side's network, it scores that too,
 * so one network's logits can be compared across devices. Failures are written down, not
 * thrown: "no kernel image" from a GPU is a finding.
 */
public final class GpuCheckWorker {
  static final String RESULT = "result.properties";
  static final String MODEL = "model.zip";
  static final String OWN_LOGITS = "own-nd4j.logits";
  static final String OTHER_ND4J_LOGITS = "other-nd4j.logits";
  static final String OTHER_ONNX_LOGITS = "other-onnx.logits";
  private static final int SCORING_BATCH = 256;

  /** What the parent tells a worker. */
  record Task(Path trainImages, Path trainLabels, Path testImages, Path testLabels,
      int trainRows, int testRows, Path out, Path otherModel, Integer onnxGpu) {}

  private GpuCheckWorker() {}

  /**
   * Arguments: train images, train labels, test images, test labels, train rows, test rows,
   * output folder, the other side's model.zip or "-", the CUDA device ONNX Runtime is to use or
   * "-" for the CPU; the train config (HOCON) on stdin.
   */
  public static void main(String[] args) throws IOException {
    NativeBuild.preferSupported();
    Task task = new Task(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]),
        Path.of(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]),
        Path.of(args[6]), "-".equals(args[7]) ? null : Path.of(args[7]),
        "-".equals(args[8]) ? null : Integer.valueOf(args[8]));
    String trainConfig = new String(System.in.readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    Files.createDirectories(task.out());
    Properties result = new Properties();
    try {
      run(task, TrainConfig.from(com.typesafe.config.ConfigFactory.parseString(trainConfig)
          .withFallback(dev.sparkdistill.common.config.ConfigLayers.reference()).resolve()),
          result);
    } catch (Throwable e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      System.err.println(trace);
      result.setProperty("error", firstLines(e));
    }
    try (OutputStream out = Files.newOutputStream(task.out().resolve(RESULT))) {
      result.store(out, "gpu-check worker");
    }
  }

  private static void run(Task task, TrainConfig config, Properties result) throws IOException {
    boolean cpu = Nd4j.getEnvironment().isCPU();
    result.setProperty("backend", cpu ? "CPU" : "CUDA");
    result.setProperty("device", BackendDescription.describe(
        Nd4j.getExecutioner().getEnvironmentInformation(),
        Nd4j.getAffinityManager().getDeviceForCurrentThread(),
        cpu ? NativeBuild.loaded() : null));
    TableShape shape = new TableShape("examples", List.of(1, 28, 28), 0, 10,
        TableShape.namesOrIndexes(null, 10));
    float[][] train = images(task.trainImages(), task.trainRows());
    int[] trainLabels = labels(task.trainLabels(), train.length);
    float[][] test = images(task.testImages(), task.testRows());
    int[] testLabels = labels(task.testLabels(), test.length);

    MultiLayerNetwork network = ModelFactory.create(config.model(), shape.featureShape(),
        shape.classCount(), config.loss(), config.updater(), config.seed());
    List<DataSet> batches = batches(train, trainLabels, shape, config.batchSizePerWorker());
    long start = System.nanoTime();
    network.fit(new ExistingDataSetIterator(batches));
    double trainSeconds = (System.nanoTime() - start) / 1e9;
    result.setProperty("train.rows", Integer.toString(train.length));
    result.setProperty("train.rows-per-second", Double.toString(train.length / trainSeconds));
    Path model = task.out().resolve(MODEL);
    ModelSerializer.writeModel(network, model.toFile(), false);

    Configuration local = new Configuration();
    ShippedModel nd4j = ShippedModel.load(model.toString(), shape, local, "model");
    ShippedModel onnx = nd4j.toOnnx(shape);
    Scored byNd4j = score(nd4j::teacher, test);
    Scored byOnnx = score(() -> onnx.teacher(task.onnxGpu()), test);
    writeLogits(task.out().resolve(OWN_LOGITS), byNd4j.logits());
    ModelMetrics metrics = new ModelMetrics(shape.classCount(), 1, 1);
    for (int i = 0; i < test.length; i++) {
      metrics.add(byNd4j.logits()[i], testLabels[i], null);
    }
    result.setProperty("test.rows", Integer.toString(test.length));
    result.setProperty("test.accuracy", Double.toString(metrics.accuracy()));
    result.setProperty("nd4j.rows-per-second", Double.toString(byNd4j.rowsPerSecond()));
    result.setProperty("onnx.rows-per-second", Double.toString(byOnnx.rowsPerSecond()));
    result.setProperty("onnx.provider", onnx.onnxProvider(task.onnxGpu()));
    String fallback = onnx.onnxFallback(task.onnxGpu());
    if (fallback != null) {
      result.setProperty("onnx.provider.why", fallback);
    }

    if (task.otherModel() != null) {
      ShippedModel other = ShippedModel.load(task.otherModel().toString(), shape, local,
          "model");
      ShippedModel otherOnnx = other.toOnnx(shape);
      writeLogits(task.out().resolve(OTHER_ND4J_LOGITS), score(other::teacher, test).logits());
      writeLogits(task.out().resolve(OTHER_ONNX_LOGITS),
          score(() -> otherOnnx.teacher(task.onnxGpu()), test).logits());
    }
  }

  record Scored(float[][] logits, double rowsPerSecond) {}

  /**
   * Logits of every row on one thread, as the benchmarks score rows in memory; timed after one
   * untimed batch, since a GPU loads its kernels on first use.
   */
  static Scored score(Supplier<Teacher> scorer, float[][] rows) {
    Benchmarks.scoreInMemory(scorer, Arrays.copyOf(rows, Math.min(SCORING_BATCH, rows.length)),
        SCORING_BATCH, 1);
    long start = System.nanoTime();
    float[][] logits = Benchmarks.scoreInMemory(scorer, rows, SCORING_BATCH, 1);
    return new Scored(logits, rows.length / ((System.nanoTime() - start) / 1e9));
  }

  /** Minibatches of labeled rows, as train packs them (hard labels only: alpha = 0). */
  private static List<DataSet> batches(float[][] rows, int[] labels, TableShape shape,
      int size) {
    float[] weights = new float[shape.classCount()];
    Arrays.fill(weights, 1f);
    Minibatches packer = new Minibatches(shape.featureCount(), shape.classCount(), weights, 0f);
    List<DataSet> batches = new ArrayList<>();
    for (int from = 0; from < rows.length; from += size) {
      List<Minibatches.Example> batch = new ArrayList<>();
      for (int i = from; i < Math.min(from + size, rows.length); i++) {
        batch.add(new Minibatches.Example(rows[i], labels[i], null));
      }
      batches.add(packer.pack(batch));
    }
    return batches;
  }

  /** The first {@code limit} images, pixels scaled to 0-1 as conf/fashion-mnist.conf does. */
  private static float[][] images(Path file, int limit) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      IdxReader reader = IdxReader.open(in, file.toString());
      int count = (int) Math.min(limit, reader.header().itemCount());
      float[][] rows = new float[count][];
      for (int i = 0; i < count; i++) {
        byte[] pixels = reader.nextItem();
        rows[i] = new float[pixels.length];
        for (int p = 0; p < pixels.length; p++) {
          rows[i][p] = (pixels[p] & 0xFF) / 255f;
        }
      }
      return rows;
    }
  }

  private static int[] labels(Path file, int count) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      IdxReader reader = IdxReader.open(in, file.toString());
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = reader.nextItem()[0] & 0xFF;
      }
      return labels;
    }
  }

  static void writeLogits(Path file, float[][] logits) throws IOException {
    try (DataOutputStream out = new DataOutputStream(
        new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
      out.writeInt(logits.length);
      out.writeInt(logits.length == 0 ? 0 : logits[0].length);
      for (float[] row : logits) {
        for (float value : row) {
          out.writeFloat(value);
        }
      }
    }
  }

  static float[][] readLogits(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(
        new java.io.BufferedInputStream(Files.newInputStream(file)))) {
      float[][] logits = new float[in.readInt()][in.readInt()];
      for (float[] row : logits) {
        for (int c = 0; c < row.length; c++) {
          row[c] = in.readFloat();
        }
      }
      return logits;
    }
  }

  private static String firstLines(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null && text.length() < 600; t = t.getCause()) {
      text.append(text.length() == 0 ? "" : "; caused by ").append(t.getClass().getSimpleName())
          .append(": ").append(String.valueOf(t.getMessage()).lines().findFirst().orElse(""));
    }
    return text.toString();
  }
}
