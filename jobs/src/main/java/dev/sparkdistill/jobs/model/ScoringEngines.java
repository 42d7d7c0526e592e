package dev.sparkdistill.jobs.model;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ScoringEngine;
import dev.sparkdistill.common.manifest.TableShape;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which runtime scores a model in {@code infer} and {@code evaluate}. A DL4J model goes to ONNX
 * Runtime when the engine setting allows it and its in-memory ONNX export gives DL4J's logits on
 * a sample of the rows to be scored, to {@value #PARITY_BOUND}; on the demo's CNN teacher ONNX
 * Runtime scores about 3.5 times as many rows per second as ND4J's oneDNN build on the same
 * threads. An ONNX model file is always scored by ONNX Runtime.
 */
public final class ScoringEngines {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringEngines.class);
  /** Largest difference of any logit, DL4J against ONNX Runtime, that passes. */
  public static final double PARITY_BOUND = 1e-4;
  public static final String ONNX_RUNTIME = "onnxruntime";
  public static final String ND4J = "nd4j";

  private ScoringEngines() {}

  /** A model as it will be shipped, and the engine that scores it. */
  public record Choice(ShippedModel model, String engine) {}

  /** For infer's teachers, under {@code infer.engine}. */
  public static Choice choose(ShippedModel teacher, TableShape shape,
      ScoringEngine wanted, float[] sample, int sampleRows) {
    return choose(teacher, shape, wanted, sample, sampleRows, "infer.engine", "teacher");
  }

  /**
   * @param sample feature rows of the input, {@code sampleRows} of them one after another
   * @param key the engine's config key, for messages
   * @param role how messages name the model
   * @throws DistillException when {@code wanted} is ONNX Runtime and the model cannot take it
   */
  public static Choice choose(ShippedModel teacher, TableShape shape, ScoringEngine wanted,
      float[] sample, int sampleRows, String key, String role) {
    if (teacher.isOnnx()) {
      return new Choice(teacher, ONNX_RUNTIME);
    }
    if (wanted == ScoringEngine.ND4J) {
      return new Choice(teacher, ND4J);
    }
    String why;
    try {
      MultiLayerNetwork network = teacher.networkOnce();
      ShippedModel exported = teacher.toOnnx(shape, network);
      double difference = maxDifference(network, exported, sample, sampleRows,
          shape.featureCount());
      if (difference <= PARITY_BOUND) {
        LOG.info(String.format(Locale.ROOT, "%s %s is scored by ONNX Runtime: its export "
            + "gives DL4J's logits on %d rows of the input to %.1e (bound %.0e)", role,
            teacher.path(), sampleRows, difference, PARITY_BOUND));
        return new Choice(exported, ONNX_RUNTIME);
      }
      why = String.format(Locale.ROOT, "its ONNX export differs from DL4J by up to %.2e on %d "
          + "rows of the input (bound %.0e)", difference, sampleRows, PARITY_BOUND);
    } catch (DistillException e) {
      why = e.getMessage();
    }
    if (wanted == ScoringEngine.ONNXRUNTIME) {
      throw new DistillException(key + " = onnxruntime, but " + role + " " + teacher.path()
          + " cannot be scored by ONNX Runtime: " + why + "; set " + key + " = auto (ND4J "
          + "for such " + role + "s) or nd4j");
    }
    LOG.warn("{} {} is scored by ND4J: {}", role, teacher.path(), why);
    return new Choice(teacher, ND4J);
  }

  private static double maxDifference(MultiLayerNetwork dl4j, ShippedModel onnx, float[] sample,
      int rows, int features) {
    if (rows == 0) {
      return 0;
    }
    float[][] expected = dl4j.output(Nd4j.create(sample, new long[] {rows, features}, 'c'),
        false).toFloatMatrix();
    float[][] actual = onnx.onnxLogitsOnce(sample, rows);
    double max = 0;
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < expected[i].length; c++) {
        double difference = Math.abs(expected[i][c] - actual[i][c]);
        if (Double.isNaN(difference)) {
          return difference; // never passes the bound
        }
        max = Math.max(max, difference);
      }
    }
    return max;
  }
}
