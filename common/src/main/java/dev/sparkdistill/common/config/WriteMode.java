package dev.sparkdistill.common.config;

/** What a job does when its output already exists. */
public enum WriteMode {
  /** Refuse, unless the output is complete for the same inputs and config: then skip the job. */
  ERROR,
  /** Replace the output. */
  OVERWRITE,
  /**
   * Skip when the output is complete for the same inputs and config, otherwise replace it: what
   * a pipeline wants when something upstream changed.
   */
  REFRESH
}
