package dev.sparkdistill.jobs.bench;

import com.typesafe.config.Config;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.ImageOptions;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.io.ImageDecoder;
import dev.sparkdistill.common.manifest.ExamplesManifest;
import dev.sparkdistill.jobs.prepare.PrepareJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * {@code prepare} of image files against a bare decode loop over the same files in one JVM on
 * the same cores (read each file, decode it with the same {@link ImageDecoder}), at 1x and 10x
 * the files; and the JVM's heap after each job, to show what the driver keeps as files grow.
 *
 * <p>The files are Fashion-MNIST written as PNG in class folders: {@code work/train} (60,000)
 * and {@code work/test} (10,000), the 10x input, and {@code work/sample} (the first 7,000 of
 * train), the 1x input. At 28 x 28 a PNG decodes in some 60 microseconds, so Spark's own work per
 * row (Parquet above all) sets prepare's pace; {@code work/photos} holds the same 7,000 images
 * enlarged to 256 x 256 RGB JPEG, photo-sized files whose decoding is the work, as it is for
 * most image collections. They are written once and reused.
 */
public final class ImagesBenchmark {
  private static final int SAMPLE = 7_000;
  /** Side of the photo-sized JPEG files, decoded and shrunk to 28 x 28 grey. */
  private static final int PHOTO_SIDE = 256;

  private final PrepareConfig idx;
  private final Path work;
  private final PrintWriter out;

  /** @param idx the IDX prepare config whose train and test files become the images */
  public ImagesBenchmark(PrepareConfig idx, String work, PrintWriter out) {
    this.idx = idx;
    this.work = Path.of(work);
    this.out = out;
  }

  /** The configuration checked as the benchmark uses it, before Spark starts. */
  public static PrepareConfig validated(Config resolved) {
    return ImageFolders.idxConfig(resolved, "benchmark images");
  }

  /** The first {@code limit} images of a split as files under {@code root}, unless there. */
  private void write(Split split, Path root, int limit, int photoSide) {
    ImageFolders.writeOnce(root, photoSide > 0 ? photoSide + "x" + photoSide + " RGB JPEG files"
        : "PNG files", out, staging -> ImageFolders.write(Path.of(idx.input(split).orElseThrow()),
            Path.of(idx.idxLabels().get(split)), staging, ImageFolders.folderNames(idx), limit,
            i -> false, photoSide).size());
  }

  public void run(SparkSession spark, int runs, int threads) {
    write(Split.TRAIN, work.resolve("train"), Integer.MAX_VALUE, 0);
    write(Split.TEST, work.resolve("test"), Integer.MAX_VALUE, 0);
    write(Split.TRAIN, work.resolve("sample"), SAMPLE, 0);
    write(Split.TRAIN, work.resolve("photos"), SAMPLE, PHOTO_SIDE);
    List<Scale> scales = List.of(new Scale("1x", List.of(work.resolve("sample"))),
        new Scale("10x", List.of(work.resolve("train"), work.resolve("test"))),
        new Scale("photos", List.of(work.resolve("photos"))));
    ImageOptions images = config(scales.get(0), "warm-up").images();
    // Untimed: the first job and loop of the JVM pay for class loading and compilation.
    out.println("warm-up (untimed)");
    out.flush();
    job(spark, scales.get(0), "warm-up", bare(scales.get(0), images, threads).bytes());
    for (int run = 1; run <= runs; run++) {
      for (Scale scale : scales) {
        Measured loop = bare(scale, images, threads);
        Measured job = job(spark, scale, scale.name, loop.bytes());
        scale.loops.add(loop);
        scale.jobs.add(job);
        out.printf(Locale.ROOT, "run %d %-4s %,7d files %6.1f MB: bare loop %6.1f s (%,.0f "
            + "files/s), prepare %6.1f s (%,.0f files/s), ratio %.2f; heap after the job "
            + "%,d MB (peak %,d MB)%n", run, scale.name, job.files, job.bytes / 1e6,
            loop.seconds, loop.files / loop.seconds, job.seconds, job.files / job.seconds,
            loop.seconds / job.seconds, job.heapAfterMb, job.heapPeakMb);
        out.flush();
      }
    }
    out.println();
    out.println("| files | MB | bare loop files/s | prepare files/s | prepare MB/s | ratio "
        + "| heap after job (MB) | peak heap (MB) |");
    out.println("|---|---|---|---|---|---|---|---|");
    for (Scale scale : scales) {
      Measured job = scale.jobs.get(0);
      double loopSeconds = Benchmarks.median(scale.loops.stream().map(m -> m.seconds).toList());
      double jobSeconds = Benchmarks.median(scale.jobs.stream().map(m -> m.seconds).toList());
      out.printf(Locale.ROOT, "| %,d (%s) | %.1f | %,.0f | %,.0f | %.2f | %.2f | %,d | %,d |%n",
          job.files, scale.name, job.bytes / 1e6, job.files / loopSeconds,
          job.files / jobSeconds, job.bytes / 1e6 / jobSeconds, loopSeconds / jobSeconds,
          (long) Benchmarks.median(scale.jobs.stream().map(m -> (double) m.heapAfterMb).toList()),
          (long) Benchmarks.median(scale.jobs.stream().map(m -> (double) m.heapPeakMb).toList()));
    }
    out.printf("medians of %d runs; %d decode threads in the bare loop%n", runs, threads);
    out.flush();
  }

  private static final class Scale {
    final String name;
    final List<Path> roots;
    final List<Measured> loops = new ArrayList<>();
    final List<Measured> jobs = new ArrayList<>();

    Scale(String name, List<Path> roots) {
      this.name = name;
      this.roots = roots;
    }
  }

  /** One timed side; the heap figures are the job's (0 for the bare loop). */
  private record Measured(long files, long bytes, double seconds, long heapAfterMb,
      long heapPeakMb) {}

  private PrepareConfig config(Scale scale, String output) {
    List<String> settings = new ArrayList<>(List.of("prepare.format=images",
        "prepare.output=" + work.resolve("examples-" + output), "prepare.mode=overwrite",
        "prepare.input.train=" + scale.roots.get(0), "prepare.images.height=28",
        "prepare.images.width=28", "prepare.scaling.kind=linear",
        "prepare.scaling.multiply=0.00392156862745098"));
    if (scale.roots.size() > 1) {
      settings.add("prepare.input.test=" + scale.roots.get(1));
    }
    return PrepareConfig.from(ConfigLayers.resolve(Optional.empty(), "", settings));
  }

  /** Every file read and decoded by {@code threads} threads, files dealt round-robin. */
  private static Measured bare(Scale scale, ImageOptions images, int threads) {
    List<Path> files = new ArrayList<>();
    for (Path root : scale.roots) {
      try (Stream<Path> walk = Files.walk(root)) {
        walk.filter(Files::isRegularFile).forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    ImageDecoder decoder = new ImageDecoder(images);
    AtomicLong bytes = new AtomicLong();
    long start = System.nanoTime();
    Benchmarks.onThreads(threads, "bare decode loop", first -> {
      for (int i = first; i < files.size(); i += threads) {
        byte[] file = Files.readAllBytes(files.get(i));
        bytes.addAndGet(file.length);
        decoder.decode(file);
      }
    });
    return new Measured(files.size(), bytes.get(), (System.nanoTime() - start) / 1e9, 0, 0);
  }

  /**
   * The prepare job on the scale's files: its wall time, and the heap after and at peak.
   *
   * @param bytes the files' size, as the bare loop read them
   */
  private Measured job(SparkSession spark, Scale scale, String output, long bytes) {
    ExamplesManifest[] manifest = new ExamplesManifest[1];
    Benchmarks.Stage stage = Benchmarks.Stage.time(
        () -> manifest[0] = new PrepareJob(config(scale, output)).run(spark));
    return new Measured(manifest[0].rows().input(), bytes, stage.seconds(),
        stage.retainedMb(), stage.peakMb());
  }

}
