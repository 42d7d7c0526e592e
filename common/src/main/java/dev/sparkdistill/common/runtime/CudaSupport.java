package dev.sparkdistill.common.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Whether a CUDA library can run on a node that has only an NVIDIA driver: are the libraries it
 * needs, transitively, either packaged beside it or part of every Linux system (glibc, the C++
 * runtime) or of the driver ({@code libcuda.so.1}); and are its kernels compiled for the node's
 * GPU.
 */
public final class CudaSupport {
  /** What the GPU node's driver installs; the one library a CUDA program may not carry. */
  public static final String DRIVER_LIBRARY = "libcuda.so.1";

  /** The libraries of glibc and GCC's runtime that every x86-64 Linux distribution ships. */
  public static final Set<String> SYSTEM_LIBRARIES = Set.of("libc.so.6", "libm.so.6",
      "libdl.so.2", "librt.so.1", "libpthread.so.0", "ld-linux-x86-64.so.2", "libstdc++.so.6",
      "libgcc_s.so.1");

  /** How a library's kernels meet a GPU of one compute capability. */
  public enum Verdict {
    /** SASS for this architecture (or an earlier minor of its major): runs as compiled. */
    NATIVE,
    /** No SASS that fits, but PTX of an earlier architecture: the driver compiles it on load. */
    PTX_JIT,
    /** Neither: CUDA answers "no kernel image is available for execution on the device". */
    NONE
  }

  private CudaSupport() {}

  /** A library needed that nothing packaged, the system or the driver gives. */
  public record Unmet(String library, String neededBy) {
    @Override
    public String toString() {
      return library + " (needed by " + neededBy + ")";
    }
  }

  /**
   * What loading {@code root} takes, following needs through the packaged libraries.
   *
   * @param loaded the packaged libraries loaded, {@code root} first, in the order found
   * @param unmet the needs nothing packaged, the system or the driver meets, in the order found
   */
  public record Closure(List<String> loaded, List<Unmet> unmet) {}

  /** @param packaged each packaged library's file name and the sonames it needs */
  public static Closure closure(String root, Map<String, List<String>> packaged) {
    List<Unmet> unmet = new ArrayList<>();
    Set<String> loaded = new LinkedHashSet<>(List.of(root));
    Deque<String> queue = new ArrayDeque<>(List.of(root));
    while (!queue.isEmpty()) {
      String library = queue.removeFirst();
      for (String need : packaged.getOrDefault(library, List.of())) {
        if (packaged.containsKey(need)) {
          if (loaded.add(need)) {
            queue.addLast(need);
          }
        } else if (!SYSTEM_LIBRARIES.contains(need) && !DRIVER_LIBRARY.equals(need)) {
          unmet.add(new Unmet(need, library));
        }
      }
    }
    return new Closure(List.copyOf(loaded), List.copyOf(unmet));
  }

  /**
   * SASS runs on GPUs of its own major architecture from its minor up (sm_86 on 8.6 and 8.9,
   * not on 9.0); PTX of an architecture at or below the GPU's is compiled by the driver.
   */
  public static Verdict verdict(List<ElfLibrary.Kernel> kernels, int major, int minor) {
    boolean ptx = false;
    for (ElfLibrary.Kernel kernel : kernels) {
      if (!kernel.ptx() && kernel.arch() / 10 == major && kernel.arch() % 10 <= minor) {
        return Verdict.NATIVE;
      }
      ptx |= kernel.ptx() && kernel.arch() <= major * 10 + minor;
    }
    return ptx ? Verdict.PTX_JIT : Verdict.NONE;
  }

  /** E.g. "SASS for sm_37, sm_50, sm_86; no PTX". */
  public static String describe(List<ElfLibrary.Kernel> kernels) {
    String sass = archs(kernels, false);
    String ptx = archs(kernels, true);
    return (sass.isEmpty() ? "no SASS" : "SASS for " + sass) + "; "
        + (ptx.isEmpty() ? "no PTX" : "PTX for " + ptx);
  }

  private static String archs(List<ElfLibrary.Kernel> kernels, boolean ptx) {
    return kernels.stream().filter(k -> k.ptx() == ptx).map(ElfLibrary.Kernel::arch)
        .collect(Collectors.toCollection(TreeSet::new)).stream()
        .map(arch -> "sm_" + arch).collect(Collectors.joining(", "));
  }
}
