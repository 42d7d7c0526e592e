package dev.sparkdistill.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.ProtocolException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AveragingHandshakeTest {
  /** Both ends of the handshake, connected by pipes, the worker on its own thread. */
  private static int handshake(byte[] driverSecret, byte[] workerSecret, int worker,
      int workers) throws Exception {
    PipedOutputStream toWorker = new PipedOutputStream();
    PipedOutputStream toDriver = new PipedOutputStream();
    DataInputStream workerIn = new DataInputStream(new PipedInputStream(toWorker, 1 << 12));
    DataInputStream driverIn = new DataInputStream(new PipedInputStream(toDriver, 1 << 12));
    CompletableFuture<Void> joining = CompletableFuture.runAsync(() -> {
      try {
        AveragingHandshake.joinAsWorker(workerIn, new DataOutputStream(toDriver), workerSecret,
            worker);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try {
      int accepted = AveragingHandshake.acceptWorker(driverIn, new DataOutputStream(toWorker),
          driverSecret, workers);
      joining.get(10, TimeUnit.SECONDS);
      return accepted;
    } finally {
      toWorker.close();
    }
  }

  @Test
  void aWorkerWithTheSecretJoinsUnderItsIndex() throws Exception {
    byte[] secret = AveragingHandshake.newSecret();
    assertThat(handshake(secret, secret, 2, 4)).isEqualTo(2);
  }

  @Test
  void aPeerWithoutTheSecretIsRefused() {
    assertThatThrownBy(() -> handshake(AveragingHandshake.newSecret(),
        AveragingHandshake.newSecret(), 0, 2))
        .isInstanceOf(ProtocolException.class)
        .hasMessage("the peer did not prove the training run's secret");
  }

  @Test
  void aWorkerIndexOutsideTheRunIsRefusedEvenWithTheSecret() {
    byte[] secret = AveragingHandshake.newSecret();
    assertThatThrownBy(() -> handshake(secret, secret, 2, 2))
        .isInstanceOf(ProtocolException.class).hasMessage("the peer names worker 2 of 2");
  }

  @Test
  void aWorkerRefusesADriverThatCannotProveTheSecret() {
    byte[] secret = AveragingHandshake.newSecret();
    // A fake driver: a nonce, then 32 bytes that are not the proof.
    byte[] fake = new byte[AveragingHandshake.NONCE_BYTES + AveragingHandshake.MAC_BYTES];
    fake[3] = 7;
    assertThatThrownBy(() -> AveragingHandshake.joinAsWorker(new DataInputStream(
        new ByteArrayInputStream(fake)), new DataOutputStream(new ByteArrayOutputStream()),
        secret, 0))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("it is not this run's driver");
  }

  @Test
  void aProofIsBoundToItsNoncesRoleAndWorker() {
    byte[] secret = AveragingHandshake.newSecret();
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    b[0] = 1;
    byte[] proof = AveragingHandshake.mac(secret, "worker", a, b, 1);
    assertThat(proof).hasSize(32)
        .isNotEqualTo(AveragingHandshake.mac(secret, "worker", b, a, 1))
        .isNotEqualTo(AveragingHandshake.mac(secret, "driver", a, b, 1))
        .isNotEqualTo(AveragingHandshake.mac(secret, "worker", a, b, 0))
        .isEqualTo(AveragingHandshake.mac(secret, "worker", a, b, 1));
    assertThat(AveragingHandshake.newSecret()).hasSize(32).isNotEqualTo(secret);
  }
}
