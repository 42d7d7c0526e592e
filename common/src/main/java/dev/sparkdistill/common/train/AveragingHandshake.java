package dev.sparkdistill.common.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The averaging channel's mutual challenge-response: before a connection counts as a worker,
 * the worker proves it holds the training run's secret, and the driver proves it back. The
 * secret travels to the tasks inside the task closure, as Spark ships it (so it is as protected
 * as Spark's own channels, and encrypted when {@code spark.network.crypto.enabled} is on); it is
 * never sent on this channel. Every message has a fixed size, so nothing read before the proof
 * sizes an allocation.
 *
 * <pre>
 *   driver -> worker  driver nonce (32 bytes)
 *   worker -> driver  worker index (int), worker nonce (32), HMAC-SHA256(secret, "worker" |
 *                     driver nonce | worker nonce | index)
 *   driver -> worker  HMAC-SHA256(secret, "driver" | worker nonce | driver nonce | index)
 * </pre>
 */
public final class AveragingHandshake {
  public static final int SECRET_BYTES = 32;
  static final int NONCE_BYTES = 32;
  static final int MAC_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private AveragingHandshake() {}

  /** A fresh secret for one training run's averaging. */
  public static byte[] newSecret() {
    byte[] secret = new byte[SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return secret;
  }

  /**
   * The driver's side. Returns the worker's index once it proved the secret, after proving it
   * back.
   *
   * @throws ProtocolException when the peer does not prove the secret or names no valid worker
   */
  public static int acceptWorker(DataInputStream in, DataOutputStream out, byte[] secret,
      int workers) throws IOException {
    byte[] driverNonce = nonce();
    out.write(driverNonce);
    out.flush();
    int worker = in.readInt();
    byte[] workerNonce = new byte[NONCE_BYTES];
    in.readFully(workerNonce);
    byte[] proof = new byte[MAC_BYTES];
    in.readFully(proof);
    if (!MessageDigest.isEqual(proof, mac(secret, "worker", driverNonce, workerNonce, worker))) {
      throw new ProtocolException("the peer did not prove the training run's secret");
    }
    if (worker < 0 || worker >= workers) {
      throw new ProtocolException("the peer names worker " + worker + " of " + workers);
    }
    out.write(mac(secret, "driver", workerNonce, driverNonce, worker));
    out.flush();
    return worker;
  }

  /**
   * The worker's side.
   *
   * @throws ProtocolException when the peer does not prove the secret: it is not this run's
   *     driver
   */
  public static void joinAsWorker(DataInputStream in, DataOutputStream out, byte[] secret,
      int worker) throws IOException {
    byte[] driverNonce = new byte[NONCE_BYTES];
    in.readFully(driverNonce);
    byte[] workerNonce = nonce();
    out.writeInt(worker);
    out.write(workerNonce);
    out.write(mac(secret, "worker", driverNonce, workerNonce, worker));
    out.flush();
    byte[] proof = new byte[MAC_BYTES];
    in.readFully(proof);
    if (!MessageDigest.isEqual(proof, mac(secret, "driver", workerNonce, driverNonce, worker))) {
      throw new ProtocolException("the averaging peer did not prove the training run's secret: "
          + "it is not this run's driver");
    }
  }

  private static byte[] nonce() {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  static byte[] mac(byte[] secret, String role, byte[] first, byte[] second, int worker) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(role.getBytes(StandardCharsets.US_ASCII));
      mac.update(first);
      mac.update(second);
      mac.update(new byte[] {(byte) (worker >>> 24), (byte) (worker >>> 16), (byte) (worker >>> 8),
          (byte) worker});
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }
}
