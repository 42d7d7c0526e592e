package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.train.WorkerState;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Averages worker states for one epoch, on the driver: W workers connect, then for each of the
 * agreed rounds each sends its state and receives the weighted average. Runs on its own thread
 * while the barrier stage runs; a worker that stops talking fails the epoch after the timeout.
 */
final class AveragingServer implements AutoCloseable {
  private static final int TIMEOUT_MILLIS = (int) TimeUnit.MINUTES.toMillis(10);

  private final ServerSocket socket;
  private final CompletableFuture<Void> done;

  AveragingServer(String bindAddress, int port, int workers, int rounds) {
    try {
      socket = new ServerSocket();
      socket.setSoTimeout(TIMEOUT_MILLIS);
      socket.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), port));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the averaging port on " + bindAddress + ":"
          + port, e);
    }
    done = CompletableFuture.runAsync(() -> serve(workers, rounds));
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve(int workers, int rounds) {
    List<Socket> connections = new ArrayList<>();
    try {
      List<DataInputStream> ins = new ArrayList<>();
      List<DataOutputStream> outs = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        Socket connection = socket.accept();
        connection.setSoTimeout(TIMEOUT_MILLIS);
        connection.setTcpNoDelay(true);
        connections.add(connection);
        ins.add(new DataInputStream(new BufferedInputStream(connection.getInputStream(), 1 << 16)));
        outs.add(new DataOutputStream(new BufferedOutputStream(connection.getOutputStream(),
            1 << 16)));
      }
      for (int round = 0; round < rounds; round++) {
        List<WorkerState> states = new ArrayList<>(workers);
        for (DataInputStream in : ins) {
          states.add(WorkerState.readFrom(in));
        }
        WorkerState average = WorkerState.combine(states);
        for (DataOutputStream out : outs) {
          average.writeTo(out);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("parameter averaging failed", e);
    } finally {
      // A retried barrier stage must find the port closed and fail fast, not wait forever.
      close();
      for (Socket connection : connections) {
        try {
          connection.close();
        } catch (IOException ignored) {
          // the epoch's outcome is already decided
        }
      }
    }
  }

  /** Waits for the server to finish its rounds; surfaces its failure. */
  void awaitDone() {
    try {
      done.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new DistillException("parameter averaging failed: " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new DistillException("parameter averaging did not finish: " + e, e);
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }
}
