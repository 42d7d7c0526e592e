package dev.sparkdistill.common.manifest;

import dev.sparkdistill.common.manifest.ExamplesManifest.RowCounts;
import dev.sparkdistill.common.manifest.ExamplesManifest.SplitCounts;
import java.util.Map;
import java.util.TreeMap;

/**
 * Adds up row counts by split, label presence and reject reason, from the few aggregate rows a
 * job brings to the driver, and checks that every input row is accounted for.
 */
public final class RowTally {
  private final Map<String, long[]> bySplit = new TreeMap<>();
  private final Map<String, Long> rejectedByReason = new TreeMap<>();
  private long rejected;

  /** Counts {@code count} written rows of {@code split}. */
  public RowTally addWritten(String split, boolean labeled, long count) {
    bySplit.computeIfAbsent(split, s -> new long[2])[labeled ? 0 : 1] += count;
    return this;
  }

  /** Counts {@code count} rejected rows with reason code {@code code}. */
  public RowTally addRejected(String code, long count) {
    rejectedByReason.merge(code, count, Long::sum);
    rejected += count;
    return this;
  }

  /** Adds counts as a manifest records them (another batch of the same table). */
  public RowTally add(RowCounts counts) {
    counts.bySplit().forEach((split, c) -> {
      addWritten(split, true, c.labeled());
      addWritten(split, false, c.unlabeled());
    });
    counts.rejectedByReason().forEach(this::addRejected);
    return this;
  }

  public long written() {
    return bySplit.values().stream().mapToLong(c -> c[0] + c[1]).sum();
  }

  public long rejected() {
    return rejected;
  }

  public long input() {
    return written() + rejected;
  }

  public double rejectedShare() {
    return input() == 0 ? 0 : (double) rejected / input();
  }

  public Map<String, Long> rejectedByReason() {
    return Map.copyOf(rejectedByReason);
  }

  public RowCounts toCounts() {
    Map<String, SplitCounts> splits = new TreeMap<>();
    bySplit.forEach((split, c) -> splits.put(split, new SplitCounts(c[0], c[1])));
    long labeled = bySplit.values().stream().mapToLong(c -> c[0]).sum();
    long unlabeled = bySplit.values().stream().mapToLong(c -> c[1]).sum();
    return new RowCounts(input(), written(), labeled, unlabeled, rejected, splits,
        new TreeMap<>(rejectedByReason));
  }
}
