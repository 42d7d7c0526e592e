package dev.sparkdistill.jobs.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.TrainConfig;
import dev.sparkdistill.common.loss.DistillationLoss;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.model.ModelFactory;
import dev.sparkdistill.common.model.ModelSpec;
import dev.sparkdistill.common.onnx.OnnxExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;

/**
 * Files that are not models, or are damaged ones, given where a model is expected: random bytes,
 * zips of random entries, a real DL4J model or its ONNX export cut short or with bytes
 * overwritten (sizes in headers among them). Property: the file is read as a model that takes
 * the examples (a changed weight is still a model), or refused with one line naming the file;
 * never another exception, an {@code OutOfMemoryError} or a hang.
 */
class ModelFilePropertiesTest {
  private static final TableShape SHAPE = new TableShape("examples", List.of(6), 6, 3,
      List.of("a", "b", "c"));
  private static byte[] dl4j;
  private static byte[] onnx;
  private static Path dir;
  private static final AtomicInteger CASE = new AtomicInteger();

  /** What a generated file starts from. */
  enum Kind {
    RANDOM, RANDOM_ZIP, DL4J_CUT, DL4J_OVERWRITTEN, DL4J_ENTRY_OVERWRITTEN, ONNX_CUT,
    ONNX_OVERWRITTEN
  }

  record Damage(Kind kind, double where, byte[] bytes, boolean namedOnnx) {}

  @BeforeContainer
  static void models() throws IOException {
    MultiLayerNetwork network = ModelFactory.create(new ModelSpec(ModelSpec.Kind.MLP,
            List.of(5), Activation.RELU, 0, WeightInit.XAVIER, List.of(), 3, 2, ""), List.of(6),
        3, new DistillationLoss(), new TrainConfig.Updater(TrainConfig.UpdaterKind.ADAM, 0.001,
            1.0), 1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ModelSerializer.writeModel(network, out, true);
    dl4j = out.toByteArray();
    onnx = OnnxExporter.exportBytes(network, new OnnxExporter.Description(SHAPE.featureShape(),
        SHAPE.classNames(), "test"));
    dir = Files.createTempDirectory("model-properties");
  }

  @Provide
  Arbitrary<Damage> damages() {
    Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMinSize(0)
        .ofMaxSize(64);
    return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.doubles().between(0, 1),
        bytes, Arbitraries.of(true, false)).as(Damage::new);
  }

  @Property(tries = 60)
  void aDamagedOrForeignModelFileIsReadWholeOrRefusedInOneLine(@ForAll("damages") Damage damage)
      throws IOException {
    byte[] content = switch (damage.kind()) {
      case RANDOM -> damage.bytes();
      case RANDOM_ZIP -> zip(damage.bytes());
      case DL4J_CUT -> Arrays.copyOf(dl4j, (int) (damage.where() * dl4j.length));
      case DL4J_OVERWRITTEN -> overwrite(dl4j, damage.where(), damage.bytes());
      case DL4J_ENTRY_OVERWRITTEN -> overwriteEntry(dl4j, damage.where(), damage.bytes());
      case ONNX_CUT -> Arrays.copyOf(onnx, (int) (damage.where() * onnx.length));
      case ONNX_OVERWRITTEN -> overwrite(onnx, damage.where(), damage.bytes());
    };
    boolean namedOnnx = switch (damage.kind()) {
      case RANDOM, RANDOM_ZIP -> damage.namedOnnx();
      case DL4J_CUT, DL4J_OVERWRITTEN, DL4J_ENTRY_OVERWRITTEN -> false;
      case ONNX_CUT, ONNX_OVERWRITTEN -> true;
    };
    Path file = dir.resolve("case-" + CASE.incrementAndGet() + (namedOnnx ? ".onnx" : ".zip"));
    Files.write(file, content);
    try {
      ShippedModel model = ShippedModel.load(file.toString(), SHAPE, new Configuration(),
          "teacher");
      float[][] logits = model.teacher().logits(new float[SHAPE.featureCount()], 1);
      assertThat(logits[0]).as("a model that loads scores a row").hasSize(3);
    } catch (DistillException e) {
      assertThat(e.getMessage()).as("one line").doesNotContain("\n")
          .as("names the file").contains(file.toString());
    }
  }

  /** A zip whose entries have the names a DL4J model's have, filled with the given bytes. */
  private static byte[] zip(byte[] filling) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (String name : List.of("configuration.json", "coefficients.bin")) {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(name.endsWith(".json") ? ("{\"confs\":" + new String(filling,
            StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.UTF_8) : filling);
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  /**
   * The model zip with one entry's uncompressed bytes overwritten (the zip itself stays sound, so
   * the damage reaches DL4J's own reader): the configuration for {@code where} below 0.3, else
   * the parameters, mostly near the start, where the array header declares its sizes.
   */
  private static byte[] overwriteEntry(byte[] model, double where, byte[] patch)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(model));
        ZipOutputStream zip = new ZipOutputStream(out)) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        byte[] bytes = in.readAllBytes();
        boolean target = where < 0.3 ? entry.getName().equals("configuration.json")
            : entry.getName().equals("coefficients.bin");
        if (target) {
          double at = where < 0.3 ? where / 0.3 : Math.pow((where - 0.3) / 0.7, 3);
          bytes = overwrite(bytes, at, patch);
        }
        zip.putNextEntry(new ZipEntry(entry.getName()));
        zip.write(bytes);
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  /** The bytes with {@code patch} written over them from a point {@code where} of the way in. */
  private static byte[] overwrite(byte[] original, double where, byte[] patch) {
    byte[] copy = original.clone();
    int at = (int) (where * (copy.length - 1));
    System.arraycopy(patch, 0, copy, at, Math.min(patch.length, copy.length - at));
    return copy;
  }
}
