package dev.sparkdistill.jobs.prepare;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.data.ParsedRow;
import dev.sparkdistill.common.data.RowChecks;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.io.IdxHeader;
import dev.sparkdistill.common.io.IdxReader;
import dev.sparkdistill.jobs.io.HadoopConf;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads IDX image + label files (MNIST / Fashion-MNIST). The driver reads only the headers; the
 * items are split into ranges and each task opens the files and reads its own range, so no row
 * passes through the driver. Ids are {@code <split>-<index in file>}.
 */
final class IdxSource implements ExampleSource {
  /** Bytes of image data per task, so large files still spread over the executors. */
  private static final long BYTES_PER_TASK = 32L << 20;

  private final PrepareConfig config;

  IdxSource(PrepareConfig config) {
    this.config = config;
  }

  @Override
  public SourceRows read(SparkSession spark, Split split, OptionalInt classCount) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    String images = config.input(split).orElseThrow();
    Optional<String> labels = Optional.ofNullable(config.idxLabels().get(split));
    IdxHeader imageHeader = header(images, "prepare.input." + split.value(), conf);
    if (imageHeader.dims().length < 2) {
      throw new DistillException("file " + images + " holds IDX data of shape "
          + Arrays.toString(imageHeader.dims()) + "; expected images [count, rows, cols]");
    }
    labels.ifPresent(path -> checkLabels(imageHeader,
        header(path, "prepare.idx." + split.value() + "-labels", conf)));

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<long[]> ranges = ranges(imageHeader, jsc.defaultParallelism());
    int maxLabel = classCount.orElse(Integer.MAX_VALUE);
    String labelFile = labels.orElse(null);
    JavaRDD<Row> rows = jsc.parallelize(ranges, ranges.size()).mapPartitions(it ->
        readRanges(it, images, labelFile, split, maxLabel, conf));
    List<Integer> shape = Arrays.stream(imageHeader.itemShape()).boxed().toList();
    return new SourceRows(ParsedRows.dataset(spark, rows), shape, false);
  }

  private static IdxHeader header(String location, String key, HadoopConf conf) {
    Path path = new Path(location);
    if (!HadoopFiles.exists(path, conf.get())) {
      throw new DistillException(key + " = " + location + " does not exist");
    }
    FileSystem fs = HadoopFiles.fs(path, conf.get());
    try (IdxReader reader = IdxReader.open(fs.open(path), location)) {
      IdxHeader header = reader.header();
      // An uncompressed file's length must be what its header declares: a header that claims
      // billions of items would otherwise plan thousands of tasks that each fail.
      long declared = header.dataOffset() + header.itemCount() * header.itemSize();
      long actual = fs.getFileStatus(path).getLen();
      if (!reader.compressed() && declared != actual) {
        throw new DistillException("file " + location + " declares " + header.itemCount()
            + " items of " + header.itemSize() + " bytes (" + declared + " bytes with its "
            + "header) but holds " + actual + " bytes");
      }
      return header;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + location, e);
    }
  }

  private static void checkLabels(IdxHeader images, IdxHeader labels) {
    if (labels.dims().length != 1) {
      throw new DistillException("file " + labels.file() + " holds IDX data of shape "
          + Arrays.toString(labels.dims()) + "; expected labels [count]");
    }
    if (labels.itemCount() != images.itemCount()) {
      throw new DistillException("file " + images.file() + " holds " + images.itemCount()
          + " images but " + labels.file() + " holds " + labels.itemCount() + " labels");
    }
  }

  static List<long[]> ranges(IdxHeader header, int parallelism) {
    long count = header.itemCount();
    long bySize = (count * header.itemSize() + BYTES_PER_TASK - 1) / BYTES_PER_TASK;
    int tasks = (int) Math.max(1, Math.min(count, Math.max(parallelism, bySize)));
    long perTask = (count + tasks - 1) / tasks;
    List<long[]> ranges = new ArrayList<>();
    for (long start = 0; start < count; start += perTask) {
      ranges.add(new long[] {start, Math.min(count, start + perTask)});
    }
    return ranges;
  }

  /** Rows of the given ranges, read lazily so a task holds one item at a time. */
  private static Iterator<Row> readRanges(Iterator<long[]> ranges, String images, String labels,
      Split split, int classCount, HadoopConf conf) {
    return new Iterator<>() {
      private long[] range;
      private long next;
      private IdxReader imageReader;
      private IdxReader labelReader;

      @Override
      public boolean hasNext() {
        while (range == null || next >= range[1]) {
          closeReaders();
          if (!ranges.hasNext()) {
            return false;
          }
          openRange(ranges.next());
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        try {
          Integer label = labelReader == null ? null : labelReader.nextItem()[0] & 0xff;
          ParsedRow row = toParsedRow(split.value() + "-" + next, imageReader.nextItem(), label,
              classCount);
          next++;
          return ParsedRows.toRow(row, split);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + images, e);
        }
      }

      private void openRange(long[] newRange) {
        org.apache.spark.TaskContext task = org.apache.spark.TaskContext.get();
        if (task != null && range == null) {
          task.addTaskCompletionListener(
              (org.apache.spark.util.TaskCompletionListener) context -> closeReaders());
        }
        try {
          range = newRange;
          next = range[0];
          imageReader = open(images, conf);
          imageReader.skipTo(next);
          labelReader = open(labels, conf);
          if (labelReader != null) {
            labelReader.skipTo(next);
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + images, e);
        }
      }

      private void closeReaders() {
        try {
          if (imageReader != null) {
            imageReader.close();
          }
          if (labelReader != null) {
            labelReader.close();
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } finally {
          imageReader = null;
          labelReader = null;
        }
      }
    };
  }

  private static ParsedRow toParsedRow(String id, byte[] pixels, Integer label, int classCount) {
    float[] features = new float[pixels.length];
    for (int p = 0; p < pixels.length; p++) {
      features[p] = pixels[p] & 0xff;
    }
    String outOfRange = label == null ? null : RowChecks.checkLabelBelow(label, classCount);
    return outOfRange == null ? ParsedRow.accepted(id, features, label)
        : ParsedRow.rejected(id, outOfRange, "label " + label + ", " + pixels.length + " pixels");
  }

  private static IdxReader open(String location, HadoopConf conf) throws IOException {
    if (location == null) {
      return null;
    }
    Path path = new Path(location);
    return IdxReader.open(HadoopFiles.fs(path, conf.get()).open(path), location);
  }
}
