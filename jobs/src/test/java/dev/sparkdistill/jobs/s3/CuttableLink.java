package dev.sparkdistill.jobs.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;

/**
 * A TCP relay on 127.0.0.1 between the jobs and the S3 server. Cutting it closes its port and
 * every open connection, which a client cannot tell from the server stopping (connections
 * reset, then refused), while the server keeps what was written, so a test can inspect it.
 * It can cut itself the moment a request line matching a pattern goes through.
 */
final class CuttableLink implements AutoCloseable {
  private final int target;
  private final int port;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile ServerSocket listener;
  private volatile Pattern cutOn;
  private final CountDownLatch cut = new CountDownLatch(1);

  CuttableLink(int target) throws IOException {
    this.target = target;
    this.listener = listen(0);
    this.port = listener.getLocalPort();
    accept(listener);
  }

  int port() {
    return port;
  }

  /** Cuts the link as soon as a request whose first line matches {@code requestLine} is sent. */
  void cutOn(Pattern requestLine) {
    this.cutOn = requestLine;
  }

  boolean awaitCut(long seconds) throws InterruptedException {
    return cut.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Closes the port and every connection through it. */
  synchronized void cut() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing
    }
    open.forEach(CuttableLink::closeQuietly);
    open.clear();
    cut.countDown();
  }

  /** Opens the same port again. */
  synchronized void restore() throws IOException {
    cutOn = null;
    listener = listen(port);
    accept(listener);
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return socket;
  }

  private void accept(ServerSocket socket) {
    Thread acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        try {
          Socket client = socket.accept();
          Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
          open.add(client);
          open.add(server);
          pump(client, server, true);
          pump(server, client, false);
        } catch (IOException e) {
          return; // cut or closed
        }
      }
    }, "s3-link-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void pump(Socket from, Socket to, boolean requests) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (requests && matches(buffer, n)) {
            cut();
            return;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // the other side closed, or the link was cut
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "s3-link-pump");
    thread.setDaemon(true);
    thread.start();
  }

  /** Whether a line of this chunk (a request line, a header, the start of a body) matches. */
  private boolean matches(byte[] buffer, int n) {
    Pattern pattern = cutOn;
    if (pattern == null) {
      return false;
    }
    String text = new String(buffer, 0, Math.min(n, 8192), StandardCharsets.ISO_8859_1);
    return text.lines().anyMatch(line -> pattern.matcher(line).find());
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    cut();
  }
}
