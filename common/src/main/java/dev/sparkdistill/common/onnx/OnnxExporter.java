package dev.sparkdistill.common.onnx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.common.data.FeatureScaling;
import dev.sparkdistill.common.model.ModelFactory;
import java.util.List;
import java.util.Map;
import onnx.Onnx.ModelProto;
import onnx.Onnx.OperatorSetIdProto;
import onnx.Onnx.StringStringEntryProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Writes a DL4J MultiLayerNetwork (the MLPs and CNNs {@link ModelFactory} builds, and others made
 * of the same layers) as an ONNX model computing what {@code network.output(x, false)} computes:
 * input {@value #INPUT} [batch, features] of flat float rows, as the examples table stores them,
 * output {@value #OUTPUT} [batch, classes]. The batch dimension is dynamic. The metadata records
 * the feature shape, the class names and the SHA-256 of the source model file.
 *
 * <p>IR version 8 and opset 17, so runtimes from 2022 on (ONNX Runtime 1.13 and later) load it.
 * A layer or activation without an ONNX form here is a {@link DistillException} naming it.
 */
public final class OnnxExporter {
  public static final String INPUT = "features";
  public static final String OUTPUT = "logits";
  public static final String BATCH = "batch";
  public static final long IR_VERSION = 8;
  public static final long OPSET = 17;
  /** Metadata keys; values are JSON. */
  public static final String META_FEATURE_SHAPE = "feature_shape";
  public static final String META_CLASS_NAMES = "class_names";
  public static final String META_SOURCE_SHA256 = "source_model_sha256";
  /** "raw" when the graph begins with the examples' scaling, else "prepared". */
  public static final String META_INPUT = "input";
  /** The scaling the graph applies first (JSON, as in the examples' manifest), for raw input. */
  public static final String META_INPUT_SCALING = "input_scaling";

  private static final ObjectMapper JSON = new ObjectMapper();

  private OnnxExporter() {}

  /**
   * What the model file alone cannot say: the examples' shape and classes, the source file, and,
   * for a model that takes raw rows, the scaling {@code prepare} applied to them (null: the model
   * takes rows as the examples table stores them).
   */
  public record Description(List<Integer> featureShape, List<String> classNames,
      String sourceSha256, FeatureScaling inputScaling) {
    public Description(List<Integer> featureShape, List<String> classNames,
        String sourceSha256) {
      this(featureShape, classNames, sourceSha256, null);
    }

    /** Whether the graph begins with the examples' scaling. */
    public boolean takesRawRows() {
      return inputScaling != null && !inputScaling.isIdentity();
    }

    public long featureCount() {
      return featureShape.stream().mapToLong(Integer::longValue).reduce(1, Math::multiplyExact);
    }
  }

  public static byte[] exportBytes(MultiLayerNetwork network, Description description) {
    return export(network, description).toByteArray();
  }

  public static ModelProto export(MultiLayerNetwork network, Description description) {
    long classes = ModelFactory.outputWidth(network);
    if (classes != description.classNames().size()) {
      throw new DistillException("the model has " + classes + " outputs but the examples have "
          + description.classNames().size() + " classes");
    }
    OnnxGraph graph = new OnnxGraph();
    String scaled = description.takesRawRows()
        ? addScaling(graph, description.inputScaling(), description.featureCount()) : INPUT;
    String output = addLayers(network, graph, description.featureCount(), scaled);
    if (graph.proto().getNodeCount() > 0
        && graph.proto().getNode(graph.proto().getNodeCount() - 1).getOutput(0).equals(output)) {
      graph.renameLastOutput(OUTPUT);
    } else {
      graph.node("Identity", OUTPUT, List.of(output));
      graph.renameLastOutput(OUTPUT);
    }
    graph.proto().setName("spark-distill")
        .addInput(tensor(INPUT, description.featureCount()))
        .addOutput(tensor(OUTPUT, classes));
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("spark-distill")
        .setProducerVersion(ProjectVersion.get())
        .setDocString("Exported from a DL4J model by spark-distill: logits of flat feature rows"
            + (description.takesRawRows() ? ", raw as prepare read them (the examples' "
                + "scaling is the graph's first nodes)." : ", as the examples table stores them."))
        .setGraph(graph.proto())
        .addAllMetadataProps(metadata(description))
        .build();
  }

  /**
   * The examples' scaling as the graph's first nodes, computing what {@code prepare} stored:
   * {@code x * multiply + add} (linear), or {@code (x - offset) * factor} per feature (standard,
   * min-max, channel-standard). Returns the name of the scaled rows.
   */
  private static String addScaling(OnnxGraph graph, FeatureScaling scaling, long features) {
    if (!scaling.kind().fitted()) {
      String multiplied = graph.node("Mul", "scale_multiply",
          List.of(INPUT, graph.scalar("scale_factor", scaling.multiply())));
      return graph.node("Add", "scaled", List.of(multiplied,
          graph.scalar("scale_offset", scaling.add())));
    }
    if (scaling.fittedFeatureCount() != features) {
      throw new DistillException("the examples' scaling was fitted on "
          + scaling.fittedFeatureCount() + " features but the model takes " + features);
    }
    String centered = graph.node("Sub", "scale_center", List.of(INPUT, graph.floats(
        "scale_offsets", org.nd4j.linalg.factory.Nd4j.createFromArray(scaling.featureOffsets()),
        features)));
    return graph.node("Mul", "scaled", List.of(centered, graph.floats("scale_factors",
        org.nd4j.linalg.factory.Nd4j.createFromArray(scaling.featureFactors()), features)));
  }

  /** Adds every layer's nodes in order, from {@code x}; returns the network's output's name. */
  private static String addLayers(MultiLayerNetwork network, OnnxGraph graph, long features,
      String input) {
    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
    OnnxLayers layers = new OnnxLayers(graph);
    InputType type = InputType.feedForward(features);
    String x = input;
    for (int i = 0; i < network.getnLayers(); i++) {
      Layer layer = network.getLayer(i);
      org.deeplearning4j.nn.conf.layers.Layer layerConf = conf.getConf(i).getLayer();
      String hint = "layer" + i;
      InputPreProcessor pre = conf.getInputPreProcess(i);
      if (pre != null) {
        int index = i;
        x = layers.preprocessor(pre, x, hint).orElseThrow(() -> unsupported(index, layerConf,
            "its input preprocessor " + pre.getClass().getSimpleName() + " has no ONNX form "
                + "here (supported: FeedForwardToCnnPreProcessor, CnnToFeedForwardPreProcessor, "
                + "NCHW)"));
        type = pre.getOutputType(type);
      }
      int index = i;
      x = layers.layer(layer, type, x, hint).orElseThrow(() -> unsupported(index, layerConf,
          reason(layerConf)));
      type = layerConf.getOutputType(i, type);
    }
    return x;
  }

  private static String reason(org.deeplearning4j.nn.conf.layers.Layer conf) {
    org.nd4j.linalg.activations.IActivation fn = conf instanceof ActivationLayer a
        ? a.getActivationFn() : conf instanceof BaseLayer b ? b.getActivationFn() : null;
    if (fn != null && OnnxActivations.apply(new OnnxGraph(), fn, "x", "probe").isEmpty()) {
      return "its activation " + fn + " has no ONNX form here (supported: "
          + OnnxActivations.SUPPORTED + ")";
    }
    return "it has no ONNX form here (supported: " + OnnxLayers.SUPPORTED
        + "; NCHW; convolution modes Same, Truncate, Strict)";
  }

  private static DistillException unsupported(int index,
      org.deeplearning4j.nn.conf.layers.Layer conf, String why) {
    return new DistillException("cannot export layer " + index + " '" + conf.getLayerName()
        + "' (" + conf.getClass().getSimpleName() + ") to ONNX: " + why);
  }

  /** A float tensor [batch, width] with a named dynamic batch dimension. */
  private static ValueInfoProto tensor(String name, long width) {
    TensorShapeProto shape = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH))
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))
        .build();
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
  }

  private static List<StringStringEntryProto> metadata(Description description) {
    try {
      Map<String, String> entries = new java.util.TreeMap<>(Map.of(META_FEATURE_SHAPE,
          JSON.writeValueAsString(description.featureShape()),
          META_CLASS_NAMES, JSON.writeValueAsString(description.classNames()),
          META_SOURCE_SHA256, description.sourceSha256(),
          META_INPUT, description.takesRawRows() ? "raw" : "prepared"));
      if (description.takesRawRows()) {
        entries.put(META_INPUT_SCALING, JSON.writeValueAsString(description.inputScaling()));
      }
      return entries.entrySet().stream().sorted(Map.Entry.comparingByKey())
          .map(e -> StringStringEntryProto.newBuilder().setKey(e.getKey())
              .setValue(e.getValue()).build())
          .toList();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
