package dev.sparkdistill.jobs.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.sparkdistill.common.DistillException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where ONNX Runtime runs a session: on the task's GPU through its CUDA provider when the jar
 * has that provider and the CUDA libraries it needs, and the provider starts; otherwise on the
 * CPU, with one log line per JVM and reason saying why.
 */
final class OnnxDevice {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxDevice.class);
  private static final Set<String> TOLD = ConcurrentHashMap.newKeySet();

  /**
   * A session, the provider it runs on ("CUDA:0" or "CPU"), and why it runs on the CPU although
   * a GPU was asked for (null otherwise).
   */
  record Opened(OrtSession session, String provider, String fallback) {}

  private OnnxDevice() {}

  /**
   * @param gpu the CUDA device the task was given, or null for none (the CPU, said nothing of)
   */
  static Opened open(byte[] bytes, String role, String location, Integer gpu) {
    if (gpu != null) {
      String whyNot = cudaUnavailable();
      if (whyNot == null) {
        try (OrtSession.SessionOptions options = OnnxModel.options()) {
          options.addCUDA(gpu);
          Opened opened = new Opened(OrtEnvironment.getEnvironment().createSession(bytes,
              options), "CUDA:" + gpu, null);
          if (TOLD.add("cuda:" + gpu)) {
            LOG.info("ONNX Runtime scores on GPU {} (CUDA provider)", gpu);
          }
          return opened;
        } catch (OrtException | UnsatisfiedLinkError e) {
          whyNot = "its CUDA provider did not start on GPU " + gpu + ": " + cudaError(e);
        }
      }
      if (TOLD.add(whyNot)) {
        LOG.warn("ONNX Runtime scores {} {} on the CPU although the task has GPU {}: {}", role,
            location, gpu, whyNot);
      }
      return new Opened(OnnxModel.open(bytes, role, location), "CPU", whyNot);
    }
    return new Opened(OnnxModel.open(bytes, role, location), "CPU", null);
  }

  /**
   * The CUDA error in ONNX Runtime's message ("CUDA failure 35: CUDA driver version is
   * insufficient for CUDA runtime version"), without the source locations around it.
   */
  static String cudaError(Throwable e) {
    String message = String.valueOf(e.getMessage());
    int failure = message.indexOf("CUDA failure");
    if (failure < 0) {
      return message.lines().findFirst().orElse("");
    }
    int end = message.indexOf(" ;", failure);
    return message.substring(failure, end < 0 ? message.length() : end).trim();
  }

  /** Why the CUDA provider cannot be used in this JVM, or null when it can be tried. */
  static String cudaUnavailable() {
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      return "this jar's ONNX Runtime has no CUDA provider (the CPU build; the GPU jar, "
          + "built with -Pcuda, has it)";
    }
    try {
      CudaLibraries.loadForOnnxRuntime();
      return null;
    } catch (DistillException e) {
      return e.getMessage();
    }
  }
}
