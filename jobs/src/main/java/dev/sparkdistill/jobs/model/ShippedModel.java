package dev.sparkdistill.jobs.model;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model as shipped to the executors (a teacher for infer, any model for evaluate): its file's
 * bytes (broadcast once) and their SHA-256. Each executor JVM deserializes a model once and
 * keeps it; each task thread scores with its own copy of the parameters, since a network is not
 * safe to share between threads.
 */
public final class ShippedModel implements Serializable {
  /** Deserializations in this JVM, for tests and logs. */
  public static final AtomicInteger LOADS = new AtomicInteger();
  private static final Map<String, MultiLayerNetwork> LOADED = new ConcurrentHashMap<>();
  private static final ThreadLocal<Map<String, MultiLayerNetwork>> PER_THREAD =
      ThreadLocal.withInitial(java.util.HashMap::new);

  private final String path;
  private final String sha256;
  private final byte[] bytes;
  private final long parameterCount;

  private ShippedModel(String path, String sha256, byte[] bytes, long parameterCount) {
    this.path = path;
    this.sha256 = sha256;
    this.bytes = bytes;
    this.parameterCount = parameterCount;
  }

  /**
   * Reads a model file on the driver and checks it against the examples: it must take the
   * examples' feature count and have one output per class.
   *
   * @param role how messages name the model ("teacher", "model")
   */
  public static ShippedModel load(String location, TableShape shape, Configuration conf,
      String role) {
    byte[] bytes = readBytes(location, conf, role);
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
    return new ShippedModel(location, sha256(bytes), bytes, network.numParams());
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

  /** This thread's copy of the network, deserialized at most once per JVM. */
  public MultiLayerNetwork network() {
    return PER_THREAD.get().computeIfAbsent(sha256, key -> LOADED.computeIfAbsent(key, k -> {
      LOADS.incrementAndGet();
      return deserialize("model", path, bytes);
    }).clone());
  }

  public String path() {
    return path;
  }

  public String sha256() {
    return sha256;
  }

  /** Whether a model file is an ONNX model: by its name, {@code *.onnx}. */
  public static boolean isOnnx(String location) {
    return location.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
  }

  public long parameterCount() {
    return parameterCount;
  }

  /** Size of the model file in bytes. */
  public long fileSize() {
    return bytes.length;
  }
}
