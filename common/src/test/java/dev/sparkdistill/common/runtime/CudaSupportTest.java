package dev.sparkdistill.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.runtime.CudaSupport.Verdict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudaSupportTest {
  private static final ElfLibrary.Kernel SM_37 = new ElfLibrary.Kernel(false, 37);
  private static final ElfLibrary.Kernel SM_80 = new ElfLibrary.Kernel(false, 80);
  private static final ElfLibrary.Kernel SM_86 = new ElfLibrary.Kernel(false, 86);
  private static final ElfLibrary.Kernel PTX_80 = new ElfLibrary.Kernel(true, 80);

  /** The shape of ND4J's CUDA build and the runtime libraries packaged beside it. */
  private static Map<String, List<String>> nd4jCuda() {
    Map<String, List<String>> packaged = new LinkedHashMap<>();
    packaged.put("libjnind4jcuda.so", List.of("libnd4jcuda.so", "libstdc++.so.6", "libc.so.6"));
    packaged.put("libnd4jcuda.so", List.of("libdl.so.2", "libcublas.so.11",
        "libcusolver.so.11", "libc.so.6"));
    packaged.put("libcublas.so.11", List.of("libcublasLt.so.11", "libpthread.so.0"));
    packaged.put("libcublasLt.so.11", List.of("librt.so.1"));
    packaged.put("libcusolver.so.11", List.of("libcublas.so.11", "libcublasLt.so.11"));
    packaged.put("libjnicudart.so", List.of("libcuda.so.1", "libcudart.so.11.0"));
    packaged.put("libcudart.so.11.0", List.of("libc.so.6"));
    return packaged;
  }

  @Test
  void aClosureMetByTheJarTheSystemAndTheDriverHasNoUnmetNeeds() {
    assertThat(CudaSupport.closure("libjnind4jcuda.so", nd4jCuda()).unmet()).isEmpty();
    assertThat(CudaSupport.closure("libjnicudart.so", nd4jCuda()).unmet()).isEmpty();
    assertThat(CudaSupport.closure("libjnind4jcuda.so", nd4jCuda()).loaded()).containsExactly(
        "libjnind4jcuda.so", "libnd4jcuda.so", "libcublas.so.11", "libcusolver.so.11",
        "libcublasLt.so.11");
  }

  @Test
  void aRuntimeLibraryLeftOutIsNamedWithEachLibraryThatNeedsIt() {
    Map<String, List<String>> packaged = nd4jCuda();
    packaged.remove("libcublasLt.so.11");

    assertThat(unmet("libjnind4jcuda.so", packaged)).containsExactly(
        "libcublasLt.so.11 (needed by libcublas.so.11)",
        "libcublasLt.so.11 (needed by libcusolver.so.11)");
  }

  @Test
  void onlyTheDriverMayComeFromTheNode() {
    Map<String, List<String>> packaged = nd4jCuda();
    packaged.put("libcudart.so.11.0", List.of("libc.so.6", "libnvidia-ml.so.1"));

    assertThat(unmet("libjnicudart.so", packaged))
        .containsExactly("libnvidia-ml.so.1 (needed by libcudart.so.11.0)");
  }

  @Test
  void sassRunsOnItsOwnMajorArchitectureFromItsMinorUp() {
    List<ElfLibrary.Kernel> nd4j = List.of(SM_37, SM_80, SM_86);
    assertThat(CudaSupport.verdict(nd4j, 8, 6)).isEqualTo(Verdict.NATIVE);
    assertThat(CudaSupport.verdict(nd4j, 8, 9)).isEqualTo(Verdict.NATIVE);   // Ada
    assertThat(CudaSupport.verdict(nd4j, 9, 0)).isEqualTo(Verdict.NONE);     // Hopper
    assertThat(CudaSupport.verdict(nd4j, 12, 0)).isEqualTo(Verdict.NONE);    // Blackwell
    assertThat(CudaSupport.verdict(List.of(SM_86), 8, 0)).isEqualTo(Verdict.NONE);
  }

  @Test
  void ptxOfAnEarlierArchitectureIsCompiledByTheDriver() {
    assertThat(CudaSupport.verdict(List.of(SM_86, PTX_80), 9, 0)).isEqualTo(Verdict.PTX_JIT);
    assertThat(CudaSupport.verdict(List.of(PTX_80), 7, 5)).isEqualTo(Verdict.NONE);
  }

  @Test
  void describesTheArchitecturesOnce() {
    assertThat(CudaSupport.describe(List.of(SM_86, SM_37, SM_86)))
        .isEqualTo("SASS for sm_37, sm_86; no PTX");
    assertThat(CudaSupport.describe(List.of(PTX_80))).isEqualTo("no SASS; PTX for sm_80");
  }

  private static List<String> unmet(String root, Map<String, List<String>> packaged) {
    return CudaSupport.closure(root, packaged).unmet().stream().map(Object::toString).toList();
  }
}
