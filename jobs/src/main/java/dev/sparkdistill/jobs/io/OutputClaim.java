package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.output.ClaimHolder;
import dev.sparkdistill.common.output.ClaimRule;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's claim on the output it writes: a small JSON file beside the output (for
 * {@code data/model}, {@code data/.model.claim}) naming the run. A second run writing the same
 * output finds it and refuses; the rules for giving up a claim are {@link ClaimRule}'s. Beside
 * and not inside, because jobs delete and overwrite the output directory itself.
 *
 * <p>The claim is created exclusively: atomically on the local disk (create-new) and on HDFS
 * (create without overwrite). On S3 the existence check and the write are two requests, so two
 * runs starting within the same moment can both pass: there it is best-effort, narrowed by
 * reading the claim back after writing it. A daemon thread renews it every
 * {@link ClaimRule#RENEW_EVERY}; it is removed when the run ends, whether it succeeded or failed.
 */
public final class OutputClaim implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputClaim.class);

  private final Path output;
  private final Path file;
  private final FileSystem fs;
  private final ClaimHolder holder;
  private final String text;
  private final ScheduledExecutorService renewal;
  private volatile boolean lost;

  private OutputClaim(Path output, Path file, FileSystem fs, ClaimHolder holder) {
    this.output = output;
    this.file = file;
    this.fs = fs;
    this.holder = holder;
    this.text = ManifestJson.write(holder);
    this.renewal = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "distill-claim-renewal");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Where the claim on {@code output} lives. */
  public static Path fileFor(Path output) {
    Path parent = output.getParent();
    return parent == null ? new Path(output, ".claim")
        : new Path(parent, "." + output.getName() + ".claim");
  }

  /**
   * Claims {@code output} for this run, taking over a claim whose holder is gone.
   *
   * @throws DistillException when another run holds it
   */
  static OutputClaim take(Path output, Configuration conf, String job) {
    Path file = fileFor(output);
    FileSystem fs = HadoopFiles.fs(file, conf);
    OutputClaim claim = new OutputClaim(output, file, fs,
        ClaimHolder.ofThisProcess(job, Instant.now()));
    try {
      for (int attempt = 0; attempt < 3; attempt++) {
        if (claim.createExclusively() && claim.readHolder().map(h -> h.runId()
            .equals(claim.holder.runId())).orElse(false)) {
          claim.renewal.scheduleWithFixedDelay(claim::renew, ClaimRule.RENEW_EVERY.toSeconds(),
              ClaimRule.RENEW_EVERY.toSeconds(), TimeUnit.SECONDS);
          return claim;
        }
        claim.giveUpOrRefuse();
      }
    } catch (IOException e) {
      claim.renewal.shutdownNow();
      throw new UncheckedIOException("cannot claim output " + output + " (" + file + ")", e);
    } catch (RuntimeException e) {
      claim.renewal.shutdownNow();
      throw e;
    }
    claim.renewal.shutdownNow();
    throw new DistillException("cannot claim output " + output + ": its claim " + file
        + " changed hands three times while this run tried to take it");
  }

  /** Deletes a claim whose holder is gone; refuses when the holder is alive. */
  private void giveUpOrRefuse() throws IOException {
    Instant renewed;
    try {
      renewed = Instant.ofEpochMilli(fs.getFileStatus(file).getModificationTime());
    } catch (FileNotFoundException e) {
      return; // released meanwhile: try again
    }
    Optional<ClaimHolder> other = readHolder();
    Instant now = storeNow();
    Optional<String> gone = ClaimRule.givenUp(other, renewed, now, ClaimHolder.thisHost(),
        ClaimRule::runsHere);
    if (gone.isEmpty()) {
      long age = Math.max(0, java.time.Duration.between(renewed, now).toSeconds());
      throw new DistillException("output " + output + " is being written by another run, "
          + other.map(ClaimHolder::describe).orElse("whose claim is unreadable") + "; its claim "
          + file + " was renewed " + age + " s ago; wait for that run to end, or, if it is "
          + "gone, let the claim expire (" + ClaimRule.EXPIRES_AFTER.toSeconds() + " s after "
          + "its last renewal) or delete it");
    }
    LOG.warn("taking over the claim {} on {}: {}", file, output, gone.get());
    fs.delete(file, false);
  }

  /**
   * The store's clock now: the modification time of a file written for the purpose. The claim's
   * age is then the difference of two times the store set, so a skew between this machine's
   * clock and the store's (or the other run's host's) never expires a live claim.
   */
  private Instant storeNow() throws IOException {
    Path probe = new Path(file.getParent(), file.getName() + ".now-" + holder.runId());
    try (FSDataOutputStream out = fs.create(probe, true)) {
      out.write(0);
    }
    try {
      return Instant.ofEpochMilli(fs.getFileStatus(probe).getModificationTime());
    } finally {
      fs.delete(probe, false);
    }
  }

  private boolean createExclusively() throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (fs instanceof LocalFileSystem local) {
      java.nio.file.Path path = local.pathToFile(file).toPath();
      Files.createDirectories(path.getParent());
      try {
        Files.write(path, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (FSDataOutputStream out = fs.create(file, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private Optional<ClaimHolder> readHolder() throws IOException {
    try {
      String found = HadoopFiles.readText(file.toString(), fs.getConf());
      return Optional.of(ManifestJson.read(found, ClaimHolder.class, file.toString()));
    } catch (DistillException e) {
      return Optional.empty(); // missing, or half-written by its creator
    }
  }

  /** Rewrites the claim, so its modification time says the run is alive. */
  private void renew() {
    try {
      if (!stillOurs()) {
        lost = true;
        LOG.error("the claim {} on {} was taken over by another run", file, output);
        renewal.shutdown();
        return;
      }
      if (fs instanceof LocalFileSystem local) {
        Files.writeString(local.pathToFile(file).toPath(), text);
      } else {
        try (FSDataOutputStream out = fs.create(file, true)) {
          out.write(text.getBytes(StandardCharsets.UTF_8));
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot renew the claim {}: {}", file, e.toString());
    }
  }

  private boolean stillOurs() throws IOException {
    return readHolder().map(h -> h.runId().equals(holder.runId())).orElse(false);
  }

  /**
   * Fails when another run took the claim over (this run was judged gone), so two runs never
   * both mark the output complete.
   */
  void checkStillHeld() {
    try {
      if (lost || !stillOurs()) {
        throw new DistillException("output " + output + " was claimed by another run while "
            + "this one wrote it (claim " + file + "); not marking it complete");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the claim " + file, e);
    }
  }

  /** Stops renewing and removes the claim, if still this run's; never throws. */
  @Override
  public void close() {
    // Not shutdownNow: a renewal interrupted mid-write, or one that rewrites the file after
    // the delete below, would leave a claim that blocks the next run.
    renewal.shutdown();
    try {
      renewal.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (stillOurs()) {
        fs.delete(file, false);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot remove the claim {} on {} ({}); it expires {} s after its last renewal",
          file, output, e.toString(), ClaimRule.EXPIRES_AFTER.toSeconds());
    }
  }
}
