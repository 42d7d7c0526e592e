package dev.sparkdistill.jobs.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;

class ShippedModelTest {
  @TempDir
  Path tmp;

  @Test
  void releaseAllDropsEveryLoadedModelAndSessionAndLaterUseLoadsAgain() throws Exception {
    MultiLayerNetwork network = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(4),
            Activation.TANH, 0, WeightInit.XAVIER, List.of(), 3, 2, ""), List.of(3), 2,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001, 1.0),
        1);
    Path file = tmp.resolve("m.zip");
    ModelSerializer.writeModel(network, file.toFile(), true);
    TableShape shape = new TableShape("examples", List.of(3), 3, 2, List.of("a", "b"));
    ShippedModel dl4j = ShippedModel.load(file.toString(), shape, new Configuration(), "model");
    ShippedModel onnx = dl4j.toOnnx(shape);
    float[] row = {0.1f, 0.2f, 0.3f};
    float[] before = dl4j.teacher().logits(row, 1)[0];
    onnx.teacher().logits(row, 1);
    assertThat(ShippedModel.held()).as("the network, this thread's copy, the session")
        .isEqualTo(3);

    ShippedModel.releaseAll();

    assertThat(ShippedModel.held()).isZero();
    dev.sparkdistill.jobs.LogLines loads = dev.sparkdistill.jobs.LogLines.of(ShippedModel.class,
        ShippedModel.LOADED);
    assertThat(dl4j.teacher().logits(row, 1)[0]).containsExactly(before);
    assertThat(onnx.teacher().logits(row, 1)[0][0]).isCloseTo(before[0],
        org.assertj.core.api.Assertions.within(1e-4f));
    loads.close();
    assertThat(loads.count()).as("loaded again after the release").isEqualTo(2);
    ShippedModel.releaseAll();
  }
}
