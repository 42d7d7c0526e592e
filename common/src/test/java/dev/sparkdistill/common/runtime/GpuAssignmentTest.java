package dev.sparkdistill.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import org.junit.jupiter.api.Test;

class GpuAssignmentTest {

  @Test
  void taskUsesTheDeviceSparkAssigned() {
    assertThat(GpuAssignment.deviceFor("0", 4)).isZero();
    assertThat(GpuAssignment.deviceFor(" 3 ", 4)).isEqualTo(3);
  }

  @Test
  void anIsolatedContainerSeesItsGpuAsDeviceZero() {
    assertThat(GpuAssignment.deviceFor("5", 1)).isZero();
  }

  @Test
  void anAddressBeyondTheVisibleDevicesIsAnError() {
    assertThatThrownBy(() -> GpuAssignment.deviceFor("2", 2))
        .isInstanceOf(DistillException.class)
        .hasMessage("Spark assigned GPU 2 but this executor sees 2 device(s) (0..1)");
  }

  @Test
  void aNonNumericAddressNamesTheDiscoveryScript() {
    assertThatThrownBy(() -> GpuAssignment.deviceFor("GPU-9f1c", 2))
        .isInstanceOf(DistillException.class)
        .hasMessageContaining("\"GPU-9f1c\"").hasMessageContaining("discover-gpus.sh");
  }
}
