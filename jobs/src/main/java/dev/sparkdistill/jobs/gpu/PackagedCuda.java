package dev.sparkdistill.jobs.gpu;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.runtime.CudaSupport;
import dev.sparkdistill.common.runtime.ElfLibrary;
import dev.sparkdistill.jobs.model.CudaLibraries;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The CUDA side of the application jar, read from the jar itself: ND4J's CUDA libraries and the
 * CUDA runtime libraries packaged beside them, what each needs (followed from the libraries
 * JavaCPP loads first), and which GPU architectures ND4J's kernels are compiled for.
 */
final class PackagedCuda {
  /** Where ND4J's CUDA build keeps its libraries in the jar. */
  static final String ND4J_FOLDER = "org/nd4j/linalg/jcublas/bindings/linux-x86_64/";
  /** Where JavaCPP's CUDA redistributable keeps the runtime's libraries. */
  static final String RUNTIME_FOLDER = "org/bytedeco/cuda/linux-x86_64/";
  /** What JavaCPP loads for ND4J's CUDA backend: its JNI library and the CUDA runtime's. */
  static final List<String> ROOTS = List.of("libjnind4jcuda.so", "libjnicudart.so");
  static final String KERNELS = "libnd4jcuda.so";

  /**
   * @param jar the jar read
   * @param libraries the libraries ND4J's CUDA backend loads, in load order from its roots
   * @param unmet needs that neither the jar, the system nor the driver meets
   * @param kernels ND4J's kernel images
   */
  record Report(String jar, List<String> libraries, List<String> unmet,
      List<ElfLibrary.Kernel> kernels) {}

  private PackagedCuda() {}

  /** The report for the jar holding ND4J's CUDA backend, or null when none is on the classpath. */
  static Report inspect(Path scratch) {
    URL root = PackagedCuda.class.getClassLoader().getResource(ND4J_FOLDER + ROOTS.get(0));
    if (root == null) {
      return null;
    }
    try {
      JarURLConnection connection = (JarURLConnection) root.openConnection();
      connection.setUseCaches(false);
      try (JarFile jar = connection.getJarFile()) {
        return inspect(jar, scratch);
      }
    } catch (IOException | ClassCastException e) {
      throw new DistillException("cannot read ND4J's CUDA libraries from " + root + ": " + e);
    }
  }

  static Report inspect(JarFile jar, Path scratch) throws IOException {
    Map<String, JarEntry> entries = new LinkedHashMap<>();
    for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
      JarEntry entry = e.nextElement();
      String name = entry.getName();
      String folder = name.substring(0, name.lastIndexOf('/') + 1);
      if ((folder.equals(ND4J_FOLDER) || folder.equals(RUNTIME_FOLDER)) && name.contains(".so")) {
        entries.put(name.substring(folder.length()), entry);
      }
    }
    // Needs are read library by library from the roots, so only what gets loaded is extracted.
    Map<String, List<String>> needs = new LinkedHashMap<>();
    List<String> pending = new ArrayList<>(ROOTS);
    List<ElfLibrary.Kernel> kernels = List.of();
    while (!pending.isEmpty()) {
      String name = pending.remove(0);
      if (needs.containsKey(name) || !entries.containsKey(name)) {
        continue;
      }
      ElfLibrary library = read(jar.getInputStream(entries.get(name)), name, scratch);
      needs.put(name, library.needed());
      if (name.equals(KERNELS)) {
        kernels = library.kernels();
      }
      pending.addAll(library.needed());
    }
    for (String name : entries.keySet()) {
      needs.putIfAbsent(name, List.of()); // packaged but not loaded: present is all that counts
    }
    Set<String> unmet = new LinkedHashSet<>();
    Set<String> loaded = new LinkedHashSet<>();
    for (String rootName : ROOTS) {
      if (!entries.containsKey(rootName)) {
        unmet.add(rootName + " (loaded by ND4J's CUDA backend)");
        continue;
      }
      CudaSupport.Closure closure = CudaSupport.closure(rootName, needs);
      loaded.addAll(closure.loaded());
      closure.unmet().forEach(need -> unmet.add(need.toString()));
    }
    return new Report(jar.getName(), List.copyOf(loaded), List.copyOf(unmet), kernels);
  }

  /**
   * ONNX Runtime's CUDA provider in the jar: the libraries it needs that neither those
   * CudaLibraries loads, the system nor the driver gives, and its kernel images.
   */
  record Provider(List<String> unmet, List<ElfLibrary.Kernel> kernels) {}

  /** The report on ONNX Runtime's CUDA provider, or null when the jar has none. */
  static Provider onnxRuntime(Path scratch) {
    ClassLoader loader = PackagedCuda.class.getClassLoader();
    URL provider = loader.getResource(CudaLibraries.PROVIDER);
    if (provider == null) {
      return null;
    }
    Map<String, List<String>> packaged = new LinkedHashMap<>();
    for (String name : CudaLibraries.FOR_ONNX_RUNTIME) {
      if (loader.getResource(CudaLibraries.FOLDER + name) != null) {
        packaged.put(name, List.of()); // their needs among themselves set their load order
      }
    }
    String name = "libonnxruntime_providers_cuda.so";
    ElfLibrary library;
    try {
      library = read(provider.openStream(), name, scratch);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract " + provider, e);
    }
    packaged.put(name, library.needed());
    return new Provider(CudaSupport.closure(name, packaged).unmet().stream()
        .map(CudaSupport.Unmet::library).toList(), library.kernels());
  }

  /** Reads a library from the jar through a scratch copy, deleted after (ND4J's is 0.9 GB). */
  private static ElfLibrary read(InputStream stream, String name, Path scratch)
      throws IOException {
    Path file = scratch.resolve(name);
    try (InputStream in = stream) {
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      return ElfLibrary.read(file);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
