package dev.sparkdistill.common.output;

import java.net.InetAddress;
import java.time.Instant;
import java.util.UUID;

/**
 * The run that claimed an output for writing, as its claim file records it (JSON). The process
 * id and start time let a run on the same host tell that the holder has died; the host and start
 * time are for the operator reading the refusal.
 *
 * @param processStart the holder JVM's start instant, "" when the OS did not report it
 */
public record ClaimHolder(String runId, String job, String host, long pid, String processStart,
    String startedAt) {

  /** A new claim by this JVM. */
  public static ClaimHolder ofThisProcess(String job, Instant now) {
    ProcessHandle self = ProcessHandle.current();
    return new ClaimHolder(UUID.randomUUID().toString(), job, thisHost(), self.pid(),
        self.info().startInstant().map(Instant::toString).orElse(""), now.toString());
  }

  /** The host name, or "unknown" when it cannot be resolved. */
  public static String thisHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  /** "run 3f2a1c9e (distill train, pid 1234 on host h, started 2026-11-28T10:02:11Z)". */
  public String describe() {
    return "run " + runId.substring(0, Math.min(8, runId.length())) + " (distill " + job
        + ", pid " + pid + " on host " + host + ", started " + startedAt + ")";
  }
}
