package dev.sparkdistill.jobs.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.onnx.OnnxExporter;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;

/** Where ONNX Runtime runs a task's session, in the CPU jar the tests run with. */
class OnnxDeviceTest {

  @Test
  void aTaskWithAGpuScoresOnTheCpuWhenTheJarHasNoCudaProviderAndSaysWhy() throws Exception {
    MultiLayerNetwork network = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP,
            List.of(6), Activation.RELU, 0, WeightInit.RELU, List.of(), 3, 2, ""), List.of(5), 3,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.01, 1),
        1);
    byte[] bytes = OnnxExporter.exportBytes(network,
        new OnnxExporter.Description(List.of(5), List.of("a", "b", "c"), "digest"));
    float[] rows = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 1f, 0f, 0.5f, 0.25f, -1f};

    OnnxDevice.Opened onGpu = OnnxDevice.open(bytes, "teacher", "t.onnx", 0);
    OnnxDevice.Opened onCpu = OnnxDevice.open(bytes, "teacher", "t.onnx", null);

    assertThat(onGpu.provider()).isEqualTo("CPU");
    assertThat(onGpu.fallback()).isEqualTo("this jar's ONNX Runtime has no CUDA provider "
        + "(the CPU build; the GPU jar, built with -Pcuda, has it)");
    assertThat(onCpu.provider()).isEqualTo("CPU");
    assertThat(onCpu.fallback()).isNull();
    float[][] expected = network.output(Nd4j.create(rows, 2, 5), false).toFloatMatrix();
    for (OnnxDevice.Opened opened : List.of(onGpu, onCpu)) {
      float[][] logits = OnnxModel.run(opened.session(), new long[] {-1, 5}, rows, 2);
      for (int i = 0; i < 2; i++) {
        assertThat(logits[i]).containsExactly(expected[i],
            org.assertj.core.data.Offset.offset(1e-5f));
      }
      opened.session().close();
    }
  }

  @Test
  void aCudaFailureIsToldWithoutTheSourceLocationsAroundIt() {
    OrtException failure = new OrtException("Error code - ORT_FAIL - message: /onnxruntime_src/"
        + "onnxruntime/core/providers/cuda/cuda_call.cc:129 std::conditional_t<THRW, void> "
        + "onnxruntime::CudaCall(ERRTYPE) CUDA failure 35: CUDA driver version is insufficient "
        + "for CUDA runtime version ; GPU=-1 ; hostname=vm ; expr=cudaSetDevice(info_.device_id);");

    assertThat(OnnxDevice.cudaError(failure))
        .isEqualTo("CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version");
    assertThat(OnnxDevice.cudaError(new OrtException("no such provider\nsecond line")))
        .isEqualTo("no such provider");
  }
}
