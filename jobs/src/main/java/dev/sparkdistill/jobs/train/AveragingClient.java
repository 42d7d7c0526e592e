package dev.sparkdistill.jobs.train;

import dev.sparkdistill.common.train.AveragingHandshake;
import dev.sparkdistill.common.train.WorkerState;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * A worker's side of the averaging channel: connects to the driver's {@link AveragingServer},
 * proves the run's secret and checks the driver proves it back, then trades its state for the
 * average once per round. Averages are read with the same bounds the driver applies.
 */
final class AveragingClient implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final WorkerState.Shape shape;

  AveragingClient(String host, int port, int worker, byte[] secret, WorkerState.Shape shape,
      Duration connectTimeout, Duration roundTimeout) throws IOException {
    this.shape = shape;
    socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
      socket.setSoTimeout((int) roundTimeout.toMillis());
      socket.setTcpNoDelay(true);
      in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
      out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
      AveragingHandshake.joinAsWorker(in, out, secret, worker);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Sends this worker's state for the round and returns the round's average. */
  WorkerState exchange(WorkerState mine) throws IOException {
    mine.writeTo(out);
    return WorkerState.readFrom(in, shape);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
