package dev.sparkdistill.common.runtime;

import dev.sparkdistill.common.DistillException;

/**
 * Which CUDA device a task uses, given the GPU address Spark assigned it (from the discovery
 * script, see conf/spark-gpu.conf) and how many devices this JVM sees. Without it every task
 * thread of a multi-GPU executor would start on device 0.
 */
public final class GpuAssignment {
  private GpuAssignment() {}

  /**
   * @param address the first address Spark gave the task for resource "gpu", e.g. "1"
   * @param visibleDevices the devices ND4J sees in this JVM
   * @return the ND4J device index for the task's thread
   */
  public static int deviceFor(String address, int visibleDevices) {
    int index;
    try {
      index = Integer.parseInt(address.trim());
    } catch (NumberFormatException e) {
      throw new DistillException("GPU address \"" + address + "\" from Spark's discovery script "
          + "is not a device index (0, 1, ...); the script must print indices, as "
          + "submit/examples/gpu/discover-gpus.sh does");
    }
    if (visibleDevices == 1) {
      // A container that isolates its GPU (YARN, Kubernetes) shows it as device 0 whatever its
      // index on the host, which is what the discovery script may print.
      return 0;
    }
    if (index < 0 || index >= visibleDevices) {
      throw new DistillException("Spark assigned GPU " + index + " but this executor sees "
          + visibleDevices + " device(s) (0.." + (visibleDevices - 1) + ")");
    }
    return index;
  }
}
