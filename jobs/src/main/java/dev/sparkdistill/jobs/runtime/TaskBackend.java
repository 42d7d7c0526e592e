package dev.sparkdistill.jobs.runtime;

import dev.sparkdistill.common.runtime.BackendDescription;
import dev.sparkdistill.common.runtime.GpuAssignment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a task does before it touches ND4J: on a GPU executor, move its thread to the GPU Spark
 * assigned the task; and once per JVM, log which backend and device the executor uses.
 */
public final class TaskBackend {
  private static final Logger LOG = LoggerFactory.getLogger(TaskBackend.class);
  private static final AtomicBoolean DESCRIBED = new AtomicBoolean();

  static {
    // An executor's first task may get here before anything loads ND4J.
    NativeBuild.preferSupported();
  }

  private TaskBackend() {}

  /** Call on the task's thread before creating or using a network there. */
  public static void prepare() {
    bindAssignedGpu();
    if (DESCRIBED.compareAndSet(false, true)) {
      LOG.info(BackendDescription.describe(Nd4j.getExecutioner().getEnvironmentInformation(),
          Nd4j.getAffinityManager().getDeviceForCurrentThread(),
          Nd4j.getEnvironment().isCPU() ? NativeBuild.loaded() : null));
    }
  }

  /**
   * The CUDA device Spark gave this task (resource "gpu"), or null outside a task or without
   * one: where ONNX Runtime scores for it.
   */
  public static Integer assignedGpu() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return null;
    }
    scala.Option<ResourceInformation> gpu = task.resources().get("gpu");
    if (gpu.isEmpty() || gpu.get().addresses().length == 0) {
      return null;
    }
    return GpuAssignment.deviceFor(gpu.get().addresses()[0], Nd4j.getEnvironment().isCPU()
        ? visibleByEnvironment() : Nd4j.getAffinityManager().getNumberOfDevices());
  }

  /** Devices CUDA_VISIBLE_DEVICES leaves this JVM; unbounded when it is not set. */
  private static int visibleByEnvironment() {
    String visible = System.getenv("CUDA_VISIBLE_DEVICES");
    return visible == null || visible.isBlank() ? Integer.MAX_VALUE
        : visible.split(",").length;
  }

  private static void bindAssignedGpu() {
    TaskContext task = TaskContext.get();
    if (task == null || Nd4j.getEnvironment().isCPU()) {
      return;
    }
    scala.Option<ResourceInformation> gpu = task.resources().get("gpu");
    if (gpu.isEmpty() || gpu.get().addresses().length == 0) {
      return;
    }
    int device = GpuAssignment.deviceFor(gpu.get().addresses()[0],
        Nd4j.getAffinityManager().getNumberOfDevices());
    if (Nd4j.getAffinityManager().getDeviceForCurrentThread() != device) {
      Nd4j.getAffinityManager().unsafeSetDevice(device);
    }
  }
}
