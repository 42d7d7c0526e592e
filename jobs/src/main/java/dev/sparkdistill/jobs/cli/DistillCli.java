package dev.sparkdistill.jobs.cli;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.ProjectVersion;
import dev.sparkdistill.jobs.runtime.NativeBuild;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code distill} command line, the main class of the application jar. Exit codes: 0
 * success, 1 the job failed (one-line cause on stderr), 2 bad usage.
 */
@Command(name = "distill", mixinStandardHelpOptions = true,
    versionProvider = DistillCli.Version.class,
    description = "Knowledge distillation as Spark jobs: prepare data, train teachers and "
        + "students, score soft targets, evaluate, predict with a student, sweep temperature and "
        + "alpha, export to ONNX.",
    subcommands = {PrepareCommand.class, TrainCommand.class, InferCommand.class,
        EvaluateCommand.class, PredictCommand.class, SweepCommand.class, RunCommand.class,
        ExportCommand.class, BenchmarkCommand.class, SamplesCommand.class,
        GpuCheckCommand.class})
public final class DistillCli implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(DistillCli.class);

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing command: one of " + spec.subcommands().keySet());
  }

  public static void main(String[] args) {
    NativeBuild.preferSupported();
    int code = execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the CLI and returns its exit code (for tests and embedding). */
  public static int execute(String... args) {
    return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new DistillCli()).setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      String cause = oneLineCause(e);
      if (!(userFacing(e) instanceof DistillException)) {
        LOG.error("distill {} failed", commandLine.getCommandName(), e);
      }
      commandLine.getErr().println("distill " + commandLine.getCommandName() + " failed: "
          + cause);
      commandLine.getErr().flush();
      return 1;
    });
    return cli.execute(args);
  }

  /**
   * The first message written for the user in the cause chain (Spark wraps task failures),
   * else the root cause, after what the job was doing when the chain says so (an I/O failure's
   * "cannot write model s3a://..."); first line only.
   */
  static String oneLineCause(Throwable e) {
    Throwable chosen = userFacing(e);
    String message = chosen.getMessage();
    if (!(chosen instanceof DistillException)) {
      message = chosen.getClass().getSimpleName() + (message == null ? "" : ": " + firstLine(
          message));
      for (Throwable t = e; t != null && t != chosen; t = t.getCause()) {
        if (t instanceof java.io.UncheckedIOException && t.getMessage() != null
            && !t.getMessage().startsWith(t.getCause().getClass().getName())) {
          message = firstLine(t.getMessage()) + ": " + message;
          break;
        }
      }
    }
    return firstLine(message);
  }

  private static String firstLine(String message) {
    return message.lines().findFirst().orElse(message).trim();
  }

  static Throwable userFacing(Throwable e) {
    Throwable root = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DistillException) {
        return t;
      }
      root = t;
    }
    return root;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"distill " + ProjectVersion.get() + " (Spark " + sparkVersion() + ")"};
    }

    private static String sparkVersion() {
      try (InputStream in = DistillCli.class.getClassLoader()
          .getResourceAsStream("spark-version-info.properties")) {
        Properties properties = new Properties();
        if (in != null) {
          properties.load(in);
        }
        return properties.getProperty("version", "not on the classpath");
      } catch (java.io.IOException e) {
        return "unknown";
      }
    }
  }
}
