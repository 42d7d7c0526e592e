package dev.sparkdistill.jobs.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class NativeBuildTest {
  private static final String CPUINFO = "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: %s\n"
      + "bugs\t\t: spectre_v1\n";

  @Test
  void leavesJavaCppsChoiceOnACpuWithAvx2AndFma() {
    assertThat(NativeBuild.extensionFor(CPUINFO.formatted("fpu sse4_2 avx avx2 fma bmi2")))
        .isNull();
  }

  @Test
  void choosesTheGenericBuildOnACpuWithoutAvx2OrFma() {
    assertThat(NativeBuild.extensionFor(CPUINFO.formatted("fpu sse4_2 avx"))).isEmpty();
    assertThat(NativeBuild.extensionFor(CPUINFO.formatted("fpu sse4_2 avx avx2"))).isEmpty();
  }

  @Test
  void leavesTheChoiceWhenTheCpuListsNoFlags() {
    assertThat(NativeBuild.extensionFor("processor\t: 0\n")).isNull();
  }

  @Test
  void namesTheBuildThisJvmLoaded() {
    Nd4j.create(1);
    // The build under test: the classifier the project was built with.
    assertThat(NativeBuild.loaded()).startsWith("linux-x86_64");
  }
}
