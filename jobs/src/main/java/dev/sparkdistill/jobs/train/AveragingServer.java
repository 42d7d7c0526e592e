package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.train.AveragingHandshake;
import dev.sparkdistill.common.train.WorkerState;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Averages worker states for one epoch, on the driver: W workers connect, then for each of the
 * agreed rounds each sends its state and receives the weighted average. Runs on its own thread
 * while the barrier stage runs.
 *
 * <p>Only this run's workers count: each connection must prove the run's secret
 * ({@link AveragingHandshake}) within the handshake timeout before it takes a worker's slot;
 * handshakes run side by side, so a peer that connects and stays silent delays no one, and one
 * that fails is dropped with a log line. Every state read is checked against the model's
 * parameter count before anything is allocated. A worker that stops talking fails the epoch after
 * the round timeout, naming it.
 */
final class AveragingServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AveragingServer.class);
  /** Handshakes in progress at once; connections beyond are closed at once. */
  static final int MAX_PENDING_HANDSHAKES = 64;

  /** How long a peer has to prove the secret, and a worker to send each round's state. */
  record Timeouts(Duration handshake, Duration round) {
    static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(30), Duration.ofMinutes(10));
  }

  /** A worker that proved the secret, with its streams. */
  private record Joined(int worker, Socket socket, DataInputStream in, DataOutputStream out) {}

  /** Put in the queue by {@link #close()}: the epoch ended before every worker joined. */
  private static final Joined CLOSED = new Joined(-1, null, null, null);

  private final ServerSocket socket;
  private final byte[] secret;
  private final WorkerState.Shape shape;
  private final Timeouts timeouts;
  private final ExecutorService handshakes = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "averaging-handshake");
    thread.setDaemon(true);
    return thread;
  });
  private final Semaphore pending = new Semaphore(MAX_PENDING_HANDSHAKES);
  /** Connections whose handshake is under way, closed by {@link #close()}. */
  private final java.util.Set<Socket> handshaking = java.util.concurrent.ConcurrentHashMap
      .newKeySet();
  private final BlockingQueue<Joined> joined = new LinkedBlockingQueue<>();
  private final CompletableFuture<Void> done;

  /**
   * @param secret this run's secret, which the workers received with their task
   * @param shape the model's parameter count and updater length: every state must match it
   */
  AveragingServer(String bindAddress, int port, int workers, int rounds, byte[] secret,
      WorkerState.Shape shape, Timeouts timeouts) {
    this.secret = secret.clone();
    this.shape = shape;
    this.timeouts = timeouts;
    try {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), port));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the averaging port on " + bindAddress + ":"
          + port, e);
    }
    Thread acceptor = new Thread(() -> accept(workers), "averaging-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    done = CompletableFuture.runAsync(() -> serve(workers, rounds));
  }

  int port() {
    return socket.getLocalPort();
  }

  /** Takes every connection until the port closes; each is handshaken on its own thread. */
  private void accept(int workers) {
    while (!socket.isClosed()) {
      Socket connection;
      try {
        connection = socket.accept();
      } catch (IOException e) {
        return; // closed: every worker joined, or the epoch ended
      }
      if (!pending.tryAcquire()) {
        LOG.warn("averaging port: dropped a connection from {}: {} handshakes already pending",
            connection.getRemoteSocketAddress(), MAX_PENDING_HANDSHAKES);
        closeQuietly(connection);
        continue;
      }
      handshaking.add(connection);
      handshakes.execute(() -> {
        try {
          handshake(connection, workers);
        } finally {
          handshaking.remove(connection);
          pending.release();
        }
      });
    }
  }

  private void handshake(Socket connection, int workers) {
    try {
      connection.setSoTimeout((int) timeouts.handshake().toMillis());
      connection.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(new BufferedInputStream(
          connection.getInputStream(), 1 << 16));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
          connection.getOutputStream(), 1 << 16));
      int worker = AveragingHandshake.acceptWorker(in, out, secret, workers);
      connection.setSoTimeout((int) timeouts.round().toMillis());
      joined.add(new Joined(worker, connection, in, out));
    } catch (IOException e) {
      LOG.warn("averaging port: dropped a connection from {}: {}",
          connection.getRemoteSocketAddress(), e instanceof SocketTimeoutException
              ? "no handshake within " + timeouts.handshake().toSeconds() + " s"
              : e instanceof EOFException ? "it closed before the handshake ended"
              : e.getMessage());
      closeQuietly(connection);
    }
  }

  private void serve(int workers, int rounds) {
    Joined[] byWorker = new Joined[workers];
    try {
      long deadline = System.nanoTime() + timeouts.round().toNanos();
      for (int count = 0; count < workers; ) {
        Joined next = joined.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (next == null) {
          throw new DistillException("only " + count + " of " + workers + " workers joined the "
              + "averaging within " + timeouts.round().toSeconds() + " s");
        }
        if (next == CLOSED) {
          throw new DistillException("the epoch ended when " + count + " of " + workers
              + " workers had joined the averaging");
        }
        if (byWorker[next.worker()] != null) {
          LOG.warn("averaging port: dropped a second connection for worker {} from {}",
              next.worker(), next.socket().getRemoteSocketAddress());
          closeQuietly(next.socket());
          continue;
        }
        byWorker[next.worker()] = next;
        count++;
      }
      // Every worker is in: no one else may connect, and a retried stage finds the port closed.
      closePort();
      LOG.info("averaging: all {} workers joined; {} rounds this epoch", workers, rounds);
      for (int round = 0; round < rounds; round++) {
        List<WorkerState> states = new ArrayList<>(workers);
        for (Joined worker : byWorker) {
          states.add(readState(worker, round));
        }
        WorkerState average = WorkerState.combine(states);
        for (Joined worker : byWorker) {
          average.writeTo(worker.out());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("parameter averaging failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DistillException("parameter averaging was interrupted");
    } finally {
      close();
      for (Joined worker : byWorker) {
        if (worker != null) {
          closeQuietly(worker.socket());
        }
      }
      joined.stream().filter(j -> j != CLOSED).forEach(j -> closeQuietly(j.socket()));
    }
  }

  private WorkerState readState(Joined worker, int round) throws IOException {
    try {
      return WorkerState.readFrom(worker.in(), shape);
    } catch (SocketTimeoutException e) {
      throw new DistillException("worker " + worker.worker() + " did not send its state for "
          + "round " + (round + 1) + " within " + timeouts.round().toSeconds() + " s", e);
    } catch (EOFException | java.net.SocketException e) {
      throw new DistillException("worker " + worker.worker() + "'s connection ended before it "
          + "sent its state for round " + (round + 1) + " (its task or executor died)", e);
    } catch (IOException e) {
      throw new DistillException("worker " + worker.worker() + " sent no valid state for round "
          + (round + 1) + ": " + e.getMessage(), e);
    }
  }

  /** Runs {@code action} (at most once) as soon as the averaging fails. */
  void onFailure(Runnable action) {
    done.whenComplete((ignored, failure) -> {
      if (failure != null) {
        action.run();
      }
    });
  }

  /**
   * Why the averaging failed, once Spark has failed the epoch's stage. A server still waiting for
   * workers to join would wait for ones that will not come, so it is closed at once and fails
   * saying how many had joined. Otherwise the workers' connections close as their tasks end and
   * the server fails soon after, with the more telling reason: this waits at most {@code wait}
   * for that. Empty when it succeeded or still runs.
   */
  java.util.Optional<Throwable> failureOnceTheStageFailed(java.time.Duration wait) {
    // Closing stops only what waits for workers (the port, handshakes, the join); the rounds'
    // own connections are the workers' and end with their tasks.
    close();
    try {
      done.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      return java.util.Optional.empty();
    } catch (ExecutionException e) {
      return java.util.Optional.of(e.getCause());
    } catch (TimeoutException e) {
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  /** Waits for the server to finish its rounds; surfaces its failure. */
  void awaitDone() {
    try {
      done.get(timeouts.round().toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new DistillException("parameter averaging failed: " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new DistillException("parameter averaging did not finish: " + e, e);
    }
  }

  private void closePort() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  private static void closeQuietly(Socket connection) {
    try {
      connection.close();
    } catch (IOException ignored) {
      // the connection's outcome is already decided
    }
  }

  /**
   * Ends the epoch's averaging: the port closes, handshakes under way are cut off, and a server
   * still waiting for workers stops.
   */
  @Override
  public void close() {
    closePort();
    handshakes.shutdownNow();
    handshaking.forEach(AveragingServer::closeQuietly);
    joined.add(CLOSED);
  }
}
