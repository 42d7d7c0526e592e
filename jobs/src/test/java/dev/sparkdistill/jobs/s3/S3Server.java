package dev.sparkdistill.jobs.s3;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import com.amazonaws.services.s3.model.ListObjectsV2Request;
import com.amazonaws.services.s3.model.ListObjectsV2Result;
import com.amazonaws.services.s3.model.S3ObjectSummary;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real S3-compatible server for a test class: s3proxy (in-memory backend) as its own process on
 * 127.0.0.1, started before the class and stopped after it. Jobs reach it through a
 * {@link CuttableLink}, so a test can take it away from them and still inspect it through
 * {@link #client()}, which talks to the server directly. The access key pair is random per class,
 * so a test can search everything the jobs wrote for the secret.
 *
 * <p>The server's jar comes from Maven ({@code s3proxy.jar}, copied by the jobs pom before the
 * integration tests).
 */
public final class S3Server implements BeforeAllCallback, AfterAllCallback {
  private final String accessKey = "test-access-" + UUID.randomUUID().toString().substring(0, 8);
  private final String secretKey = "test-secret-" + UUID.randomUUID();
  private Process process;
  private Path dir;
  private CuttableLink link;
  private AmazonS3 client;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Path jar = Path.of(System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("s3proxy jar " + jar + " is missing; the jobs pom copies "
          + "it in pre-integration-test (run the tests with mvn verify)");
    }
    dir = Files.createTempDirectory("s3proxy");
    int port = freePort();
    Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + accessKey,
        "s3proxy.credential=" + secretKey,
        "jclouds.provider=transient",
        "jclouds.identity=unused",
        "jclouds.credential=unused", ""));
    process = new ProcessBuilder(javaBin(), "-Xmx256m", "-jar", jar.toString(),
        "--properties", dir.resolve("s3proxy.properties").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
    waitForPort(port);
    link = new CuttableLink(port);
    client = AmazonS3ClientBuilder.standard()
        .withEndpointConfiguration(new EndpointConfiguration("http://127.0.0.1:" + port,
            "us-east-1"))
        .withPathStyleAccessEnabled(true)
        .withCredentials(new AWSStaticCredentialsProvider(
            new BasicAWSCredentials(accessKey, secretKey)))
        .build();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (client != null) {
      client.shutdown();
    }
    if (link != null) {
      link.close();
    }
    if (process != null) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** The endpoint jobs use (through the link). */
  public String endpoint() {
    return "http://127.0.0.1:" + link.port();
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  CuttableLink link() {
    return link;
  }

  /** A client straight to the server, past the link. */
  public AmazonS3 client() {
    return client;
  }

  /** The Spark options that point S3A at this server, with bounded retries. */
  public List<String> sparkOptions() {
    List<String> options = new ArrayList<>();
    for (String setting : List.of("fs.s3a.endpoint=" + endpoint(),
        "fs.s3a.endpoint.region=us-east-1", "fs.s3a.path.style.access=true",
        "fs.s3a.connection.ssl.enabled=false",
        // A failure surfaces in seconds: with the defaults one server error hung a job 400 s.
        "fs.s3a.attempts.maximum=2", "fs.s3a.retry.limit=2", "fs.s3a.retry.interval=100ms",
        "fs.s3a.connection.establish.timeout=2000", "fs.s3a.connection.timeout=10000")) {
      options.add("--conf");
      options.add("spark.hadoop." + setting);
    }
    return options;
  }

  /** Every key of a bucket. */
  public List<String> keys(String bucket) {
    List<String> keys = new ArrayList<>();
    ListObjectsV2Request request = new ListObjectsV2Request().withBucketName(bucket);
    ListObjectsV2Result page;
    do {
      page = client.listObjectsV2(request);
      page.getObjectSummaries().stream().map(S3ObjectSummary::getKey).forEach(keys::add);
      request.setContinuationToken(page.getNextContinuationToken());
    } while (page.isTruncated());
    return keys;
  }

  public byte[] read(String bucket, String key) throws IOException {
    try (InputStream in = client.getObject(bucket, key).getObjectContent()) {
      return in.readAllBytes();
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void waitForPort(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("s3proxy exited: "
            + Files.readString(dir.resolve("s3proxy.log")));
      }
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("s3proxy did not listen on port " + port + " in 60 s");
  }
}
