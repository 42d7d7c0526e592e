package dev.sparkdistill.jobs.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.PredictionsManifest;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.jobs.Launcher;
import dev.sparkdistill.jobs.Launcher.Result;
import dev.sparkdistill.jobs.model.ShippedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every input and output on s3a:// against a real S3-compatible server (s3proxy, in memory, on
 * 127.0.0.1), through submit/distill and the embedded Spark with conf/s3.conf, the S3A magic
 * committer included. Credentials reach the jobs the usual way, as AWS environment variables.
 */
class S3StorageIT {
  @RegisterExtension
  static final S3Server S3 = new S3Server();

  private static final Path SLICE = Launcher.PROJECT.resolve(
      "jobs/src/test/resources/fashion-mnist-slice");
  private static final String[] IDX = {"train-images-idx3-ubyte.gz",
      "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

  @TempDir
  Path tmp;

  private Result distill(String... args) throws Exception {
    return Launcher.finish(start(args), tmp);
  }

  private Process start(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--");
    all.addAll(S3.sparkOptions());
    return Launcher.start(tmp, Map.of("DISTILL_SPARK_PROPERTIES",
        Launcher.PROJECT.resolve("conf/s3.conf").toString(),
        "AWS_ACCESS_KEY_ID", S3.accessKey(), "AWS_SECRET_ACCESS_KEY", S3.secretKey()),
        all.toArray(String[]::new));
  }

  private static String createBucket(String name) throws Exception {
    S3.client().createBucket(name);
    for (String file : IDX) {
      S3.client().putObject(name, "raw/" + file, SLICE.resolve(file).toFile());
    }
    return "s3a://" + name;
  }

  private static void put(String bucket, String key, String text) {
    S3.client().putObject(bucket, key, text);
  }

  private static String prepareConf(String root) {
    return String.join("\n", "prepare {", "  format = idx",
        "  output = \"" + root + "/examples\"",
        "  input.train = \"" + root + "/raw/" + IDX[0] + "\"",
        "  idx.train-labels = \"" + root + "/raw/" + IDX[1] + "\"",
        "  input.test = \"" + root + "/raw/" + IDX[2] + "\"",
        "  idx.test-labels = \"" + root + "/raw/" + IDX[3] + "\"",
        "  scaling { kind = linear, multiply = 0.00392156862745098 }", "}", "");
  }

  @Test
  void runsTheWholePipelineOnS3AndNeverWritesTheSecretKey() throws Exception {
    String root = createBucket("pipeline");
    put("pipeline", "conf/prepare.conf", prepareConf(root));
    put("pipeline", "conf/teacher.conf", "train { input = \"" + root + "/examples\", output = \""
        + root + "/teacher\", alpha = 0, epochs = 2, model.hidden = [32] }\n");
    put("pipeline", "conf/infer.conf", "infer { input = \"" + root + "/examples\", output = \""
        + root + "/targets\", teachers = [\"" + root + "/teacher/model.zip\"] }\n");
    put("pipeline", "conf/student.conf", "train { input = \"" + root + "/targets\", output = \""
        + root + "/student\", alpha = 0.5, temperature = 2, epochs = 2, model.hidden = [16] }\n");
    put("pipeline", "conf/evaluate.conf", "evaluate { input = \"" + root + "/examples\", output"
        + " = \"" + root + "/report\", teacher = \"" + root + "/teacher/model.zip\", models = "
        + "[\"student=" + root + "/student/model.zip\"] }\n");
    put("pipeline", "conf/predict.conf", "predict { input = \"" + root + "/examples\", output"
        + " = \"" + root + "/predictions\", model = \"" + root + "/student/model.zip\", top-k = 2"
        + " }\n");
    put("pipeline", "conf/pipeline.conf", "run.steps = [\n"
        + Stream.of("prepare prepare", "train teacher", "infer infer", "train student",
            "evaluate evaluate", "predict predict").map(s -> s.split(" "))
            .map(s -> "  { job = " + s[0] + ", config = \"" + root + "/conf/" + s[1]
                + ".conf\" }")
            .reduce((a, b) -> a + ",\n" + b).orElseThrow() + "\n]\n");

    Result result = distill("run", "--config", root + "/conf/pipeline.conf");
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(result.stdout()).contains("pipeline complete");
    assertThat(result.stderr()).as("Parquet went through the S3A magic committer")
        .containsPattern("Using Committer MagicCommitter\\{.*\\} for s3a://pipeline/examples");

    List<String> keys = S3.keys("pipeline");
    for (String output : List.of("examples", "teacher", "targets", "student", "report",
        "predictions")) {
      assertThat(keys).as(output + " is complete").contains(output + "/_manifest.json",
          output + "/_SUCCESS");
    }
    assertThat(keys).contains("teacher/model.zip", "teacher/checkpoints/epoch-0002.zip",
        "report/report.html").noneMatch(k -> k.endsWith(".claim"));
    TargetsManifest targets = ManifestJson.read(new String(S3.read("pipeline",
        "targets/_manifest.json"), StandardCharsets.UTF_8), TargetsManifest.class, "targets");
    assertThat(targets.rows().scored()).isEqualTo(targets.rows().input()).isEqualTo(400);
    PredictionsManifest predictions = ManifestJson.read(new String(S3.read("pipeline",
        "predictions/_manifest.json"), StandardCharsets.UTF_8), PredictionsManifest.class,
        "predictions");
    assertThat(predictions.rows().written()).isEqualTo(400);
    assertThat(predictions.modelSha256()).isEqualTo(ShippedModel.sha256(S3.read("pipeline",
        "student/model.zip")));

    // The secret key: nowhere in what the launcher printed, nor in any object of the bucket.
    byte[] secret = S3.secretKey().getBytes(StandardCharsets.UTF_8);
    assertThat(result.stdout() + result.stderr()).doesNotContain(S3.secretKey());
    try (Stream<Path> files = Files.walk(tmp)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(indexOf(Files.readAllBytes(file), secret)).as(file.toString()).isNegative();
      }
    }
    assertThat(keys).hasSizeGreaterThan(20);
    for (String key : keys) {
      assertThat(indexOf(S3.read("pipeline", key), secret)).as(key).isNegative();
    }
  }

  /**
   * The store goes away while prepare's tasks upload their Parquet files. s3proxy keeps its
   * objects in memory, so stopping its process would also erase the evidence; instead the link
   * between the job and the server is cut at the first data-file upload, which the job cannot
   * tell from a stopped server (open connections reset, new ones refused), and the server
   * itself, which keeps everything written before the cut, is inspected afterwards.
   */
  @Test
  void failsInSecondsNamingTheOutputWhenTheStoreGoesAwayMidWriteAndMarksNothingComplete()
      throws Exception {
    String root = createBucket("cut");
    put("cut", "conf/prepare.conf", prepareConf(root));
    S3.link().cutOn(Pattern.compile("^(PUT|POST) /cut/examples/[^ ]*part-"));
    long start = System.nanoTime();
    Result failed;
    try {
      failed = distill("prepare", "--config", root + "/conf/prepare.conf");
    } finally {
      S3.link().restore();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(S3.link().awaitCut(0)).as("the link was cut during the write").isTrue();
    assertThat(failed.exitCode()).as(failed.stderr()).isEqualTo(1);
    assertThat(failed.lastErrLine()).startsWith("distill prepare failed: cannot write the "
        + "examples table " + root + "/examples: ");
    assertThat(seconds).as("the failure surfaced quickly").isLessThan(90);
    System.out.printf(java.util.Locale.ROOT, "store cut mid-write: exit %d after %.1f s: %s%n",
        failed.exitCode(), seconds, failed.lastErrLine());
    List<String> left = S3.keys("cut");
    assertThat(left).noneMatch(k -> k.startsWith("examples/_SUCCESS")
        || k.startsWith("examples/_manifest.json"));
    assertThat(left).as("the claim could not be removed while the store was away")
        .contains(".examples.claim");

    // The store back: the same command takes over the dead run's claim, clears the leftovers
    // and completes.
    Result again = distill("prepare", "--config", root + "/conf/prepare.conf");
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(again.stderr()).contains("taking over the claim " + root + "/.examples.claim");
    assertThat(S3.keys("cut")).contains("examples/_SUCCESS", "examples/_manifest.json");
  }

  /**
   * On S3 the claim's existence check and write are two requests (best-effort, see
   * OutputClaim); one run after another, the second still finds the first's claim.
   */
  @Test
  void aSecondRunRefusesAnS3OutputWhileTheFirstHoldsItsClaim() throws Exception {
    S3.client().createBucket("claims");
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    List<String> options = S3.sparkOptions();
    for (int i = 1; i < options.size(); i += 2) {
      String[] setting = options.get(i).substring("spark.hadoop.".length()).split("=", 2);
      conf.set(setting[0], setting[1]);
    }
    conf.set("fs.s3a.access.key", S3.accessKey());
    conf.set("fs.s3a.secret.key", S3.secretKey());
    conf.setBoolean("fs.s3a.impl.disable.cache", true);
    String output = "s3a://claims/model";
    try (var first = new dev.sparkdistill.jobs.io.OutputDirectory(output, conf).claim("train")) {
      assertThat(S3.keys("claims")).containsExactly(".model.claim");
      assertThat(org.assertj.core.api.Assertions.catchThrowable(
          () -> new dev.sparkdistill.jobs.io.OutputDirectory(output, conf).claim("train")))
          .hasMessageStartingWith("output " + output + " is being written by another run, run ")
          .hasMessageContaining("its claim s3a://claims/.model.claim was renewed ");
    }
    assertThat(S3.keys("claims")).isEmpty();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
