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
import java.util.List;
import java.util.Map;
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
      Path extracted = extract(jar, entries.get(name), scratch);
      ElfLibrary library = ElfLibrary.read(extracted);
      Files.delete(extracted); // ND4J's alone is 0.9 GB
      needs.put(name, library.needed());
      if (name.equals(KERNELS)) {
        kernels = library.kernels();
      }
      pending.addAll(library.needed());
    }
    for (String name : entries.keySet()) {
      needs.putIfAbsent(name, List.of()); // packaged but not loaded: present is all that counts
    }
    List<String> unmet = new ArrayList<>();
    List<String> loaded = new ArrayList<>();
    for (String rootName : ROOTS) {
      if (!entries.containsKey(rootName)) {
        unmet.add(rootName + " (loaded by ND4J's CUDA backend)");
        continue;
      }
      unmet.addAll(CudaSupport.unmetNeeds(rootName, needs));
      CudaSupport.closure(rootName, needs).stream().filter(n -> !loaded.contains(n))
          .forEach(loaded::add);
    }
    return new Report(jar.getName(), loaded, unmet.stream().distinct().toList(), kernels);
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
    Path file = scratch.resolve("libonnxruntime_providers_cuda.so");
    ElfLibrary library;
    try (InputStream in = provider.openStream()) {
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      library = ElfLibrary.read(file);
      Files.delete(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract " + provider, e);
    }
    packaged.put(file.getFileName().toString(), library.needed());
    return new Provider(CudaSupport.unmetNeeds(file.getFileName().toString(), packaged).stream()
        .map(need -> need.substring(0, need.indexOf(" (needed by"))).toList(),
        library.kernels());
  }

  private static Path extract(JarFile jar, JarEntry entry, Path scratch) throws IOException {
    Path file = scratch.resolve(entry.getName().substring(entry.getName().lastIndexOf('/') + 1));
    try (InputStream in = jar.getInputStream(entry)) {
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract " + entry.getName() + " to " + file, e);
    }
    return file;
  }
}
