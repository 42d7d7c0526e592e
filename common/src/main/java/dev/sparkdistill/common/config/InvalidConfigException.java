package dev.sparkdistill.common.config;

import dev.sparkdistill.common.DistillException;

/** A configuration value that cannot be used; the message names the key, the value and what is allowed. */
public class InvalidConfigException extends DistillException {
  public InvalidConfigException(String message) {
    super(message);
  }
}
