package dev.sparkdistill.jobs.model;

import dev.sparkdistill.common.DistillException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The CUDA 12 and cuDNN 9 libraries ONNX Runtime's CUDA provider links against, loaded from the
 * GPU jar (JavaCPP's redistributable, packaged by the cuda profile) so that a node needs only its
 * NVIDIA driver. Each is extracted once per JVM and loaded after what it needs: the provider's
 * own needs, and cuDNN's loads of its sub-libraries by name, then find them already in the
 * process.
 */
public final class CudaLibraries {
  /** ONNX Runtime's CUDA provider in the onnxruntime_gpu jar. */
  public static final String PROVIDER =
      "ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so";
  /** Where the redistributable keeps them in the jar. */
  public static final String FOLDER = "org/bytedeco/cuda/linux-x86_64/";

  /**
   * In load order: every library after the ones it needs. cuDNN's RNN and attention library
   * (libcudnn_adv, 0.24 GB) is left out: students and teachers here are MLPs and CNNs.
   */
  public static final List<String> FOR_ONNX_RUNTIME = List.of(
      "libcudart.so.12", "libcublasLt.so.12", "libcublas.so.12", "libcurand.so.10",
      "libcufft.so.11", "libnvrtc.so.12", "libnvrtc-builtins.so.12.6", "libcudnn_graph.so.9",
      "libcudnn_engines_runtime_compiled.so.9", "libcudnn_engines_precompiled.so.9",
      "libcudnn_heuristic.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn.so.9");

  private static volatile boolean loaded;
  /** Why loading failed in this JVM: said again rather than extracting and loading again. */
  private static DistillException failure;

  private CudaLibraries() {}

  /**
   * Once per JVM; a failure is remembered and thrown again, so a task that falls back to the CPU
   * does not extract and load the libraries a second time.
   *
   * @throws DistillException naming the library that is missing or does not load
   */
  static synchronized void loadForOnnxRuntime() {
    if (loaded) {
      return;
    }
    if (failure != null) {
      throw failure;
    }
    try {
      extractAndLoad();
    } catch (DistillException e) {
      failure = e;
      throw e;
    }
    loaded = true;
  }

  private static void extractAndLoad() {
    Path folder;
    try {
      folder = Files.createTempDirectory("distill-cuda");
      folder.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new DistillException("cannot extract the CUDA libraries: " + e.getMessage());
    }
    for (String name : FOR_ONNX_RUNTIME) {
      Path file = folder.resolve(name);
      try (InputStream in = CudaLibraries.class.getClassLoader()
          .getResourceAsStream(FOLDER + name)) {
        if (in == null) {
          throw new DistillException("the CUDA 12 runtime ONNX Runtime's CUDA provider needs "
              + "is not in this jar (" + name + " missing)");
        }
        Files.copy(in, file);
        file.toFile().deleteOnExit();
        System.load(file.toString());
      } catch (IOException e) {
        throw new DistillException("cannot extract " + name + ": " + e.getMessage());
      } catch (UnsatisfiedLinkError e) {
        throw new DistillException("cannot load " + name + ": " + e.getMessage());
      }
    }
  }
}
