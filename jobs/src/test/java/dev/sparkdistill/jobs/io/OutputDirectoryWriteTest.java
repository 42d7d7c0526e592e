package dev.sparkdistill.jobs.io;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-line cause of a failed write, as Spark wraps task failures; no Spark. */
class OutputDirectoryWriteTest {
  @TempDir
  Path tmp;

  private OutputDirectory output() {
    return new OutputDirectory(tmp.resolve("targets").toString(), new Configuration());
  }

  @Test
  void anInfrastructureFailureNamesTheOutputAndItsRootCause() {
    RuntimeException sparkFailure = new RuntimeException("Job aborted.",
        new IllegalStateException("Task failed", new UncheckedIOException(
            new IOException("Connection refused\nat line two"))));

    assertThatThrownBy(() -> output().write("targets table", () -> { throw sparkFailure; }))
        .isInstanceOf(DistillException.class)
        .hasMessage("cannot write the targets table " + tmp.resolve("targets")
            + ": IOException: Connection refused");
  }

  @Test
  void aTasksOwnErrorReachesTheUserAsItWasRaised() {
    DistillException inTask = new DistillException("ONNX Runtime failed on teacher.onnx: bad input");
    RuntimeException sparkFailure = new RuntimeException("Job aborted.",
        new IllegalStateException("Task failed", inTask));

    assertThatThrownBy(() -> output().write("targets table", () -> { throw sparkFailure; }))
        .isSameAs(inTask);
  }
}
