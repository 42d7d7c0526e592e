package dev.sparkdistill.common.evaluate;

import dev.sparkdistill.common.evaluate.EvaluationReport.BatchReport;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per ingest batch, mergeable across partitions: labeled rows, and for each model the rows it
 * got right and the rows where its top class is the teacher's. Drift shows as a batch whose
 * accuracy or agreement falls behind the others.
 */
public final class BatchTally implements Serializable {
  private final int models;
  /** Per batch: rows, then each model's correct rows, then each model's agreeing rows. */
  private final TreeMap<String, long[]> counts = new TreeMap<>();

  public BatchTally(int models) {
    this.models = models;
  }

  /**
   * @param predicted each model's top class for the row
   * @param teacher the teacher's top class, or -1 without a teacher
   */
  public void add(String batch, int[] predicted, int label, int teacher) {
    long[] c = counts.computeIfAbsent(batch, b -> new long[1 + 2 * models]);
    c[0]++;
    for (int m = 0; m < models; m++) {
      c[1 + m] += predicted[m] == label ? 1 : 0;
      c[1 + models + m] += predicted[m] == teacher ? 1 : 0;
    }
  }

  public void merge(BatchTally other) {
    other.counts.forEach((batch, c) -> {
      long[] mine = counts.computeIfAbsent(batch, b -> new long[c.length]);
      for (int i = 0; i < c.length; i++) {
        mine[i] += c[i];
      }
    });
  }

  /**
   * One report per batch in name order (dates sort by day).
   *
   * @param names the models' names in scoring order
   * @param withTeacher whether agreement was measured
   */
  public List<BatchReport> reports(List<String> names, boolean withTeacher) {
    List<BatchReport> reports = new ArrayList<>();
    counts.forEach((batch, c) -> {
      Map<String, Double> accuracy = new LinkedHashMap<>();
      Map<String, Double> agreement = new LinkedHashMap<>();
      for (int m = 0; m < models; m++) {
        accuracy.put(names.get(m), (double) c[1 + m] / c[0]);
        if (withTeacher) {
          agreement.put(names.get(m), (double) c[1 + models + m] / c[0]);
        }
      }
      reports.add(new BatchReport(batch, c[0], accuracy, withTeacher ? agreement : null));
    });
    return reports;
  }
}
