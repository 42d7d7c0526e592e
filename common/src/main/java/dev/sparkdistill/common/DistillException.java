package dev.sparkdistill.common;

/**
 * A failure whose message is written for the user: one line naming the key, file, column or row
 * and what was expected. The CLI prints it as the cause of a failed job, even when Spark wraps it
 * in a task failure.
 */
public class DistillException extends RuntimeException {
  public DistillException(String message) {
    super(message);
  }

  public DistillException(String message, Throwable cause) {
    super(message, cause);
  }
}
