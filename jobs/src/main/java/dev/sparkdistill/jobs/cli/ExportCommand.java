package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.onnx.OnnxExporter;
import dev.sparkdistill.jobs.model.OnnxExport;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true,
    description = {
        "Export a trained model (model.zip of train) to ONNX: input 'features' [batch, n] of flat "
            + "float rows, output 'logits' [batch, classes], dynamic batch; the feature shape, "
            + "class names and source model digest in its metadata (and, with --raw-input, the "
            + "examples' scaling as its first nodes). The export is run in ONNX "
            + "Runtime against DL4J on seeded rows before it is written (max abs diff of logits "
            + "at most 1e-4), then written to a temporary file renamed into place.",
        "Runs on the driver alone; paths may be any Hadoop path."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:the export failed (cause on stderr)", "2:bad usage"})
final class ExportCommand implements Callable<Integer> {
  enum Format { ONNX }

  @Option(names = "--format", required = true, paramLabel = "FORMAT",
      description = "Output format: onnx.")
  Format format;

  @Option(names = "--model", required = true, paramLabel = "FILE",
      description = "The DL4J model file, e.g. data/fashion-mnist/student/model.zip.")
  String model;

  @Option(names = "--examples", paramLabel = "DIR",
      description = "Examples (or targets) table whose manifest gives the feature shape and "
          + "class names; default: the _manifest.json beside the model.")
  String examples;

  @Option(names = "--output", required = true, paramLabel = "FILE",
      description = "The .onnx file to write.")
  String output;

  @Option(names = "--overwrite", description = "Replace the output file if it exists.")
  boolean overwrite;

  @Option(names = "--raw-input",
      description = "Put the examples' scaling (prepare.scaling, from the examples table's "
          + "manifest, found through the model's and targets' manifests) in front of the "
          + "network as ONNX nodes, so the model takes the raw numbers prepare read (0-255 "
          + "pixels, unscaled CSV values); the parity check then runs on raw rows. Default: "
          + "the model takes rows as the examples table stores them, as infer and evaluate do.")
  boolean rawInput;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (!output.toLowerCase(Locale.ROOT).endsWith(".onnx")) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--output must name a .onnx file, got '" + output + "'");
    }
    OnnxExport.Result result = new OnnxExport(new OnnxExport.Options(model,
        Optional.ofNullable(examples), output, overwrite, rawInput))
        .run(JobRunner.hadoopConfFromSparkConf());
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "exported %s to %s: %d bytes, %d nodes, IR %d, opset %d; ONNX "
        + "Runtime vs DL4J on %d seeded rows: max abs diff of logits %.2e%n", model,
        result.output(), result.bytes(), result.nodes(), OnnxExporter.IR_VERSION,
        OnnxExporter.OPSET, OnnxExport.CHECK_ROWS, result.maxAbsDiff());
    out.flush();
    return 0;
  }
}
