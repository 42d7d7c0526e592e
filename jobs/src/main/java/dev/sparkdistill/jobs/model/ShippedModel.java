package dev.sparkdistill.jobs.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ModelInput;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ConvolutionHelpers;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.onnx.OnnxExporter;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.runtime.TaskBackend;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model as shipped to the executors (a teacher for infer, any model for evaluate): its file's
 * bytes (broadcast once) and their SHA-256. A file ending in {@code .onnx} is an ONNX model
 * scored by ONNX Runtime (CPU); any other is a DL4J model. Each executor JVM loads a model once
 * and keeps it: a DL4J network is then cloned per task thread, since it is not safe to share
 * between threads, while one ONNX Runtime session serves every thread. Loaded models are kept
 * until the job that shipped them ends and calls {@link #releaseAll()}, which matters in local
 * mode, where the tasks run in the driver's JVM; executors keep theirs until their application
 * ends, so a long-lived application that scores with many distinct models keeps each of them
 * on its executors.
 */
public final class ShippedModel implements Serializable {
  private static final Logger LOG = LoggerFactory.getLogger(ShippedModel.class);
  /**
   * The words of the log line each load writes: an executor should write it once per model,
   * however many tasks and batches it scores, so more of them in an executor's log mean the
   * models were released and loaded again.
   */
  public static final String LOADED = "loaded in this JVM";
  private static final Map<String, MultiLayerNetwork> NETWORKS = new ConcurrentHashMap<>();
  /** Each task thread's own copies, by thread id, so that {@link #releaseAll} reaches them. */
  private static final Map<Long, Map<String, MultiLayerNetwork>> PER_THREAD =
      new ConcurrentHashMap<>();
  /** ONNX Runtime sessions of this JVM, by model digest and the device they run on. */
  private static final Map<String, OnnxDevice.Opened> SESSIONS = new ConcurrentHashMap<>();

  private final String path;
  private final String sha256;
  private final byte[] bytes;
  private final long parameterCount;
  private final int featureCount;
  /** ONNX models only: the shape rows are fed in, batch first; null for DL4J models. */
  private final long[] onnxInputShape;
  /** ONNX models only: what the rows become before they are fed. */
  private final OnnxFeed feed;

  private ShippedModel(String path, byte[] bytes, long parameterCount, int featureCount,
      long[] onnxInputShape, OnnxFeed feed) {
    this.feed = feed;
    this.path = path;
    this.sha256 = sha256(bytes);
    this.bytes = bytes;
    this.parameterCount = parameterCount;
    this.featureCount = featureCount;
    this.onnxInputShape = onnxInputShape;
  }

  /** Whether a model file is scored by ONNX Runtime: by its name, {@code *.onnx}. */
  public static boolean isOnnx(String location) {
    return location.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
  }

  /**
   * Reads a model file on the driver and checks it against the examples: it must take the
   * examples' feature count and have one output per class.
   *
   * @param role how messages name the model ("teacher", "model")
   */
  public static ShippedModel load(String location, TableShape shape, Configuration conf,
      String role) {
    return load(location, shape, conf, role, ModelInput.asStored(location), null);
  }

  /**
   * The same, for a model fed as {@code input} describes: the rows' scaling {@code stored}
   * undone and the model's own normalization and layout applied (ONNX models only).
   */
  public static ShippedModel load(String location, TableShape shape, Configuration conf,
      String role, ModelInput input, FeatureScaling stored) {
    byte[] bytes = readBytes(location, conf, role);
    if (isOnnx(location)) {
      return onnx(location, bytes, shape, role, input, stored);
    }
    if (!input.keepsValues() || input.layout() != ModelInput.Layout.AUTO) {
      throw new DistillException(role + " " + location + " is a DL4J model, which takes the "
          + "rows as stored; teacher-inputs describe ONNX teachers only");
    }
    MultiLayerNetwork network = deserialize(role, location, bytes);
    long outputs = ModelFactory.outputWidth(network);
    if (outputs != shape.classCount()) {
      throw new DistillException(role + " " + location + " has " + outputs + " outputs but the "
          + "examples have " + shape.classCount() + " classes");
    }
    try {
      network.output(Nd4j.zeros(1, shape.featureCount()), false);
    } catch (RuntimeException e) {
      throw new DistillException(role + " " + location + " does not take the examples' "
          + shape.featureCount() + " features (shape " + shape.featureShape() + "): "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
    return new ShippedModel(location, bytes, network.numParams(), shape.featureCount(), null,
        null);
  }

  private static ShippedModel onnx(String location, byte[] bytes, TableShape shape,
      String role, ModelInput input, FeatureScaling stored) {
    OrtSession session = OnnxModel.open(bytes, role, location);
    try {
      refuseRawInput(session, role, location);
      OnnxModel.Fed fed = OnnxModel.checkedInput(session, shape, input.layout(), role,
          location);
      OnnxFeed feed = OnnxFeed.of(input, stored, shape, fed.channelsLast(), role, location);
      if (feed.changesRows()) {
        LOG.info("{} {} takes input {}: {}{}", role, location,
            java.util.Arrays.toString(fed.shape()), feed.transposes()
                ? "rows transposed from channels first to channels last" : "rows as stored",
            input.keepsValues() ? "" : "; values taken back to the raw ones prepare read and "
                + "normalized as configured (" + input + ")");
      }
      return new ShippedModel(location, bytes, OnnxModel.parameterCount(bytes),
          shape.featureCount(), fed.shape(), feed);
    } finally {
      closeQuietly(session);
    }
  }

  /**
   * A model exported with {@code --raw-input} scales its rows itself; the jobs feed it rows
   * that prepare already scaled, so it would see them scaled twice.
   */
  private static void refuseRawInput(OrtSession session, String role, String location) {
    try {
      if ("raw".equals(session.getMetadata().getCustomMetadata().get(OnnxExporter.META_INPUT))) {
        throw new DistillException(role + " " + location + " was exported with --raw-input: it "
            + "scales raw rows itself, and the examples table holds scaled ones; export it "
            + "again without --raw-input to use it here");
      }
    } catch (ai.onnxruntime.OrtException e) {
      throw new DistillException(role + " " + location + " has unreadable metadata: "
          + e.getMessage());
    }
  }

  /** This DL4J model exported to ONNX in memory, checked as an ONNX teacher file would be. */
  public ShippedModel toOnnx(TableShape shape) {
    return toOnnx(shape, deserialize("model", path, bytes));
  }

  /** The same, from {@code network}: this model already deserialized by the caller. */
  public ShippedModel toOnnx(TableShape shape, MultiLayerNetwork network) {
    byte[] exported = OnnxExporter.exportBytes(network,
        new OnnxExporter.Description(shape.featureShape(), shape.classNames(), sha256));
    return onnx(path + " (exported to ONNX)", exported, shape, "model",
        ModelInput.asStored(path), null);
  }

  /**
   * A copy of this DL4J model for the caller alone, so a check on the driver neither keeps the
   * model nor counts as a load.
   */
  public MultiLayerNetwork networkOnce() {
    TaskBackend.prepare();
    return ConvolutionHelpers.attach(deserialize("model", path, bytes));
  }

  /**
   * Logits of {@code count} flat rows from an ONNX Runtime session opened for this call alone,
   * for the same reason.
   */
  public float[][] onnxLogitsOnce(float[] rows, int count) {
    if (onnxInputShape == null) {
      throw new IllegalStateException(path + " is not an ONNX model");
    }
    OrtSession session = OnnxModel.open(bytes, "model", path);
    try {
      return OnnxModel.run(session, onnxInputShape, feed.apply(rows, count), count);
    } catch (OrtException e) {
      throw new DistillException("ONNX Runtime failed on " + path + ": " + e.getMessage(), e);
    } finally {
      closeQuietly(session);
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      // the driver's check session only; nothing depends on it
    }
  }

  /** A model file's bytes from its Hadoop file system. */
  public static byte[] readBytes(String location, Configuration conf, String role) {
    Path file = new Path(location);
    try (InputStream in = HadoopFiles.fs(file, conf).open(file)) {
      return in.readAllBytes();
    } catch (java.io.FileNotFoundException e) {
      throw new DistillException(role + " " + location + " does not exist");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + role + " " + location, e);
    }
  }

  public static MultiLayerNetwork deserialize(String role, String location, byte[] bytes) {
    ParameterHeader.check(bytes).ifPresent(problem -> {
      throw new DistillException(role + " " + location + " is not a readable DL4J model: "
          + problem);
    });
    try {
      return ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), false);
    } catch (IOException | RuntimeException e) {
      throw new DistillException(role + " " + location + " is not a readable DL4J model: "
          + e.getClass().getSimpleName() + (e.getMessage() == null ? ""
          : ": " + e.getMessage().lines().findFirst().orElse("")));
    }
  }

  public static String sha256(byte[] bytes) {
    try {
      return "sha256:" + java.util.HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * This thread's scorer: the JVM's ONNX Runtime session (on the GPU Spark gave the task, when
   * it has one and the jar can use it), or this thread's network copy.
   */
  public Teacher teacher() {
    TaskBackend.prepare();
    return teacher(onnxInputShape == null ? null : TaskBackend.assignedGpu());
  }

  /**
   * The same, with ONNX Runtime on CUDA device {@code gpu} (null: the CPU); DL4J models run
   * where ND4J runs.
   */
  public Teacher teacher(Integer gpu) {
    if (onnxInputShape != null) {
      OrtSession session = onnxSession(gpu).session();
      return (rows, count) -> {
        try {
          return OnnxModel.run(session, onnxInputShape, feed.apply(rows, count), count);
        } catch (OrtException e) {
          throw new DistillException("ONNX Runtime failed on " + path + ": " + e.getMessage(), e);
        }
      };
    }
    MultiLayerNetwork network = network();
    return (rows, count) -> network.output(
        Nd4j.create(rows, new long[] {count, featureCount}, 'c'), false).toFloatMatrix();
  }

  /** Where this ONNX model's session for {@code gpu} runs: "CUDA:0" or "CPU". */
  public String onnxProvider(Integer gpu) {
    return onnxSession(gpu).provider();
  }

  /** Why that session runs on the CPU although {@code gpu} was asked for; null otherwise. */
  public String onnxFallback(Integer gpu) {
    return onnxSession(gpu).fallback();
  }

  private OnnxDevice.Opened onnxSession(Integer gpu) {
    return SESSIONS.computeIfAbsent(sha256 + "@" + gpu, key -> {
      OnnxDevice.Opened opened = OnnxDevice.open(bytes, "model", path, gpu);
      LOG.info("{} {} (an ONNX Runtime session on {})", path, LOADED, opened.provider());
      return opened;
    });
  }

  /** This thread's copy of a DL4J network, deserialized at most once per JVM. */
  public MultiLayerNetwork network() {
    if (onnxInputShape != null) {
      throw new DistillException(path + " is an ONNX model; only DL4J models can be used here");
    }
    TaskBackend.prepare();
    return PER_THREAD.computeIfAbsent(Thread.currentThread().getId(),
        id -> new ConcurrentHashMap<>()).computeIfAbsent(sha256, key -> ConvolutionHelpers.attach(
        NETWORKS.computeIfAbsent(key, k -> {
          MultiLayerNetwork network = deserialize("model", path, bytes);
          LOG.info("{} {} (a DL4J network)", path, LOADED);
          return network;
        }).clone()));
  }

  /**
   * Drops every model this JVM loaded and closes their ONNX Runtime sessions; a job calls it
   * when it ends. Models still in use by a running task would be reloaded on their next use.
   */
  public static void releaseAll() {
    PER_THREAD.clear();
    NETWORKS.clear();
    for (String key : List.copyOf(SESSIONS.keySet())) {
      OnnxDevice.Opened opened = SESSIONS.remove(key);
      if (opened != null) {
        closeQuietly(opened.session());
      }
    }
  }

  /** Models and sessions this JVM holds now: what {@link #releaseAll} frees. */
  static int held() {
    return NETWORKS.size() + SESSIONS.size()
        + PER_THREAD.values().stream().mapToInt(Map::size).sum();
  }

  public String path() {
    return path;
  }

  public String sha256() {
    return sha256;
  }

  public boolean isOnnx() {
    return onnxInputShape != null;
  }

  public long parameterCount() {
    return parameterCount;
  }

  /** Size of the model file in bytes. */
  public long fileSize() {
    return bytes.length;
  }
}
