package dev.sparkdistill.jobs.bench;

import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.jobs.io.ArrayColumns;
import dev.sparkdistill.jobs.io.InputTable;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** What the infer, load and ONNX benchmarks share: their input's shape, the bare loop, medians. */
public final class Benchmarks {
  private Benchmarks() {}

  /** The shape of a complete examples table. */
  static TableShape shape(String examples, Configuration conf) {
    return InputTable.complete(examples, "infer.input", "examples table", "run prepare first",
        conf).shape();
  }

  /**
   * The logits of rows already in memory, scored with nothing else around: batches dealt
   * round-robin to {@code threads} threads, each with its own {@link Teacher}.
   */
  static float[][] scoreInMemory(ShippedModel model, float[][] rows, int batch, int threads) {
    return scoreInMemory(model::teacher, rows, batch, threads);
  }

  /** The same, each thread scoring with what {@code scorer} gives it. */
  public static float[][] scoreInMemory(java.util.function.Supplier<Teacher> scorer,
      float[][] rows, int batch, int threads) {
    float[][] logits = new float[rows.length][];
    onThreads(threads, "in-memory scoring loop", first -> {
      Teacher teacher = scorer.get();
      for (int from = first * batch; from < rows.length; from += threads * batch) {
        int n = Math.min(batch, rows.length - from);
        float[] flat = Teacher.batchOf(Arrays.asList(rows).subList(from, from + n));
        System.arraycopy(teacher.logits(flat, n), 0, logits, from, n);
      }
    });
    return logits;
  }

  /** Work that may throw, run on one of {@link #onThreads}' threads. */
  interface ThreadWork {
    void run(int thread) throws Exception;
  }

  /** Runs {@code work} on {@code threads} threads at once, numbered from 0, and waits. */
  static void onThreads(int threads, String what, ThreadWork work) {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        running.add(pool.submit(() -> {
          work.run(thread);
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } catch (Exception e) {
      throw new IllegalStateException(what + " failed", e);
    } finally {
      pool.shutdown();
    }
  }

  /**
   * A table's features as primitive arrays, converted row by row. Collecting the rows first
   * would keep a boxed copy (16 bytes a value) alive on the heap, and marking it made the
   * garbage collector take a sixth of the CPU during the job measured next.
   */
  static float[][] features(Dataset<Row> table) {
    List<float[]> rows = new ArrayList<>();
    Iterator<Row> iterator = table.select("features").toLocalIterator();
    while (iterator.hasNext()) {
      rows.add(ArrayColumns.floats(iterator.next().getList(0)));
    }
    return rows.toArray(float[][]::new);
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    return sorted.get(sorted.size() / 2);
  }

  /** Wall time of a stage, the driver heap's peak while it ran and what a GC left after it. */
  record Stage(double seconds, long peakMb, long retainedMb) {
    static Stage time(Runnable stage) {
      Runtime runtime = Runtime.getRuntime();
      System.gc();
      AtomicLong peak = new AtomicLong(runtime.totalMemory() - runtime.freeMemory());
      Thread sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          peak.accumulateAndGet(runtime.totalMemory() - runtime.freeMemory(), Math::max);
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "heap-sampler");
      sampler.setDaemon(true);
      sampler.start();
      long start = System.nanoTime();
      try {
        stage.run();
      } finally {
        sampler.interrupt();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.gc();
      return new Stage(seconds, peak.get() >> 20, (runtime.totalMemory() - runtime.freeMemory())
          >> 20);
    }
   }
}
