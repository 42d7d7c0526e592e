package dev.sparkdistill.jobs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/** A model file whose parameters' header lies is refused before ND4J allocates what it says. */
class ParameterHeaderTest {
  /** The header's fields as DL4J writes them: UTF mode, long length, UTF type, six longs, ... */
  private static final int DATA_LENGTH_OFFSET = 2 + 16 + 8 + 2 + 4 + 6 * 8 + 2 + 16;

  private static byte[] model() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ModelSerializer.writeModel(ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP, List.of(4),
            Activation.RELU, 0, WeightInit.RELU, List.of(), 3, 2, ""), List.of(6), 3,
        new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.SGD, 0.1, 1), 1),
        out, false);
    return out.toByteArray();
  }

  /** The model with its parameters' declared data length replaced. */
  private static byte[] withDataLength(byte[] model, long length) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(model));
        ZipOutputStream zip = new ZipOutputStream(out)) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        byte[] bytes = in.readAllBytes();
        if (entry.getName().equals(ParameterHeader.ENTRY)) {
          ByteBuffer.wrap(bytes).putLong(DATA_LENGTH_OFFSET, length);
        }
        zip.putNextEntry(new ZipEntry(entry.getName()));
        zip.write(bytes);
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  void acceptsAModelAsDl4jWritesItAndRefusesADamagedLength() throws Exception {
    byte[] model = model();
    assertThat(ParameterHeader.check(model)).isEmpty();
    assertThat(ShippedModel.deserialize("model", "m.zip", model).numParams()).isEqualTo(43);

    for (long length : new long[] {-7, 44, 1L << 40}) {
      assertThatThrownBy(() -> ShippedModel.deserialize("model", "m.zip",
          withDataLength(model, length)))
          .isInstanceOf(DistillException.class)
          .hasMessageStartingWith("model m.zip is not a readable DL4J model: its parameters' "
              + "header declares " + length + " values for a shape of 43");
    }
  }
}
