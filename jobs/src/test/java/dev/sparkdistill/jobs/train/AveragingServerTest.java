package dev.sparkdistill.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.train.AveragingHandshake;
import dev.sparkdistill.common.train.WorkerState;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The averaging channel against peers that are not this run's workers, on 127.0.0.1: each test
 * runs two real workers through two rounds and checks they receive the right averages whatever
 * else connected first.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class AveragingServerTest {
  private static final WorkerState.Shape SHAPE = new WorkerState.Shape(3, 2);
  private static final Duration LONG = Duration.ofMinutes(5);

  private final byte[] secret = AveragingHandshake.newSecret();
  private final List<Socket> rogues = new ArrayList<>();

  @AfterEach
  void closeRogues() throws IOException {
    for (Socket rogue : rogues) {
      rogue.close();
    }
  }

  private AveragingServer server(Duration handshake, Duration round) {
    return new AveragingServer("127.0.0.1", 0, 2, 2, secret, SHAPE,
        new AveragingServer.Timeouts(handshake, round));
  }

  private Socket rogue(AveragingServer server) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
    rogues.add(socket);
    return socket;
  }

  /**
   * A worker of this run: worker w holds params (w+1, w+1, w+1) after fitting (w+1)*10 rows in
   * every round, and returns the averages it received.
   */
  private CompletableFuture<List<WorkerState>> worker(AveragingServer server, int w) {
    return CompletableFuture.supplyAsync(() -> {
      try (AveragingClient client = new AveragingClient("127.0.0.1", server.port(), w, secret,
          SHAPE, Duration.ofSeconds(30), LONG)) {
        List<WorkerState> averages = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
          float v = w + 1;
          averages.add(client.exchange(new WorkerState((w + 1) * 10L, v, new float[] {v, v, v},
              new float[] {v, -v})));
        }
        return averages;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /**
   * Both workers received, each round, the row-weighted average (1*10 + 2*20) / 30, summed in
   * floats weight by weight as the server does.
   */
  private static void assertRightAverages(List<WorkerState> averages) {
    float mean = (float) (10.0 / 30 * 1) + (float) (20.0 / 30 * 2);
    assertThat(averages).hasSize(2);
    for (WorkerState average : averages) {
      assertThat(average.rows()).isEqualTo(30);
      assertThat(average.params()).containsExactly(mean, mean, mean);
      assertThat(average.updater()).containsExactly(mean, -mean);
    }
  }

  private void bothWorkersGetTheRightAverages(AveragingServer server) throws Exception {
    CompletableFuture<List<WorkerState>> first = worker(server, 0);
    CompletableFuture<List<WorkerState>> second = worker(server, 1);
    assertRightAverages(first.get());
    assertRightAverages(second.get());
  }

  private static boolean closedByServer(Socket socket) throws IOException {
    socket.setSoTimeout(60_000);
    InputStream in = socket.getInputStream();
    // the server's 32-byte nonce comes first; then end of stream, or a reset
    try {
      in.readNBytes(32);
      return in.read() == -1;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  @Test
  void aRogueThatConnectsFirstAndSendsGarbageTakesNoSlot() throws Exception {
    try (AveragingServer server = server(LONG, LONG)) {
      Socket rogue = rogue(server);
      byte[] garbage = new byte[4 + 32 + 32];
      new Random(3).nextBytes(garbage);
      garbage[0] = 0; // worker 0 or 1, so only the proof can fail
      garbage[1] = 0;
      garbage[2] = 0;
      garbage[3] = 1;
      rogue.getOutputStream().write(garbage);
      rogue.getOutputStream().flush();
      assertThat(closedByServer(rogue)).as("the rogue is dropped").isTrue();

      bothWorkersGetTheRightAverages(server);
      server.awaitDone();
    }
  }

  @Test
  void aRogueThatConnectsAndStaysSilentDelaysNoOne() throws Exception {
    // The handshake timeout is far beyond the test's: the workers get through beside it.
    try (AveragingServer server = server(LONG, LONG)) {
      rogue(server);
      rogue(server);
      bothWorkersGetTheRightAverages(server);
      server.awaitDone();
    }
  }

  @Test
  void aSilentPeerIsDroppedAfterTheHandshakeTimeout() throws Exception {
    try (AveragingServer server = server(Duration.ofSeconds(1), LONG)) {
      Socket silent = rogue(server);
      assertThat(closedByServer(silent)).isTrue();
      bothWorkersGetTheRightAverages(server);
    }
  }

  @Test
  void aWorkerDeclaringAHugeStateFailsTheEpochNamingItWithoutAllocatingIt() throws Exception {
    try (AveragingServer server = server(LONG, LONG)) {
      CompletableFuture<List<WorkerState>> honest = worker(server, 0);
      try (Socket socket = new Socket("127.0.0.1", server.port())) {
        var in = new java.io.DataInputStream(socket.getInputStream());
        var out = new DataOutputStream(socket.getOutputStream());
        AveragingHandshake.joinAsWorker(in, out, secret, 1);
        out.writeLong(10);
        out.writeDouble(0);
        out.writeInt(Integer.MAX_VALUE); // 8 GB of parameters, declared in 4 bytes
        out.flush();
        assertThatThrownBy(server::awaitDone).isInstanceOf(DistillException.class)
            .hasMessageContaining("worker 1 sent no valid state for round 1")
            .hasMessageContaining("declares 2147483647 parameter values; the model has 3");
      }
      assertThat(honest).failsWithin(Duration.ofSeconds(30));
    }
  }

  @Test
  void aWorkerThatGoesSilentFailsTheEpochNamingItWithinTheRoundTimeout() throws Exception {
    try (AveragingServer server = server(LONG, Duration.ofSeconds(2))) {
      CompletableFuture<List<WorkerState>> honest = worker(server, 0);
      try (Socket socket = new Socket("127.0.0.1", server.port())) {
        AveragingHandshake.joinAsWorker(new java.io.DataInputStream(socket.getInputStream()),
            new DataOutputStream(socket.getOutputStream()), secret, 1);
        // joined, then says nothing
        assertThatThrownBy(server::awaitDone).isInstanceOf(DistillException.class)
            .hasMessageContaining("worker 1 did not send its state for round 1 within 2 s");
      }
      assertThat(honest).failsWithin(Duration.ofSeconds(30));
    }
  }

  @Test
  void aWorkerWhoseTaskDiesFailsTheEpochAtOnceAndTellsTheEngine() throws Exception {
    try (AveragingServer server = server(LONG, LONG)) {
      java.util.concurrent.CountDownLatch told = new java.util.concurrent.CountDownLatch(1);
      server.onFailure(told::countDown);
      CompletableFuture<List<WorkerState>> honest = worker(server, 0);
      Socket socket = new Socket("127.0.0.1", server.port());
      AveragingHandshake.joinAsWorker(new java.io.DataInputStream(socket.getInputStream()),
          new DataOutputStream(socket.getOutputStream()), secret, 1);
      socket.close(); // the task's JVM is gone

      assertThat(told.await(1, TimeUnit.MINUTES)).as("the engine is told").isTrue();
      assertThat(server.failureOnceTheStageFailed(Duration.ZERO)).get().extracting(Throwable::getMessage).asString()
          .isEqualTo("worker 1's connection ended before it sent its state for round 1 (its "
              + "task or executor died)");
      assertThat(honest).failsWithin(Duration.ofSeconds(30));
    }
  }

  @Test
  void aStageThatFailedBeforeEveryWorkerJoinedGetsTheReasonWithoutWaiting() throws Exception {
    try (AveragingServer server = server(LONG, LONG)) {
      CompletableFuture<List<WorkerState>> joinedAlone = worker(server, 0);
      long start = System.nanoTime();
      // Worker 1's executor died before it connected: only worker 0 is in.
      java.util.Optional<Throwable> failure = server.failureOnceTheStageFailed(LONG);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no wait for the timeout")
          .isLessThan(Duration.ofSeconds(30));
      assertThat(failure).get().extracting(Throwable::getMessage).asString()
          .matches("the epoch ended when [01] of 2 workers had joined the averaging");
      assertThat(joinedAlone).failsWithin(Duration.ofSeconds(30));
    }
  }

  @Test
  void aWorkerOfAnotherRunCannotJoin() throws Exception {
    try (AveragingServer server = server(LONG, LONG)) {
      assertThatThrownBy(() -> new AveragingClient("127.0.0.1", server.port(), 0,
          AveragingHandshake.newSecret(), SHAPE, Duration.ofSeconds(30), LONG))
          .isInstanceOfAny(java.io.EOFException.class, java.net.SocketException.class,
              ProtocolException.class);
      bothWorkersGetTheRightAverages(server);
    }
  }
}
