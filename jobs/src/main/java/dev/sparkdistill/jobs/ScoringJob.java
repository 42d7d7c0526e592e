package dev.sparkdistill.jobs;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.jobs.io.ScoringSelection;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The skeleton of the jobs that score an examples table with shipped models ({@code infer},
 * {@code predict}): the rows a run scores are every selected row, or, when the job follows a
 * batch column, the batches its output lacks ({@link ScoringSelection}).
 */
public abstract class ScoringJob<I, M> extends OutputJob<I, M> {

  /**
   * Where a run takes its rows from.
   *
   * @param examples the selected rows of the input
   * @param bytes their bytes on storage, which size the scoring tasks
   * @param batches how the job follows the input's batches; null for a whole-table run
   * @param nothing the error for a selection without rows
   */
  public record Rows<M>(Dataset<Row> examples, long bytes,
      ScoringSelection.Batches<M> batches, Supplier<DistillException> nothing) {}

  protected abstract Rows<M> rows(Run run, I inputs);

  /** Scores the selected rows into the output and returns its manifest. */
  protected abstract Written<M> score(Run run, I inputs, ScoringSelection selection);

  @Override
  protected final Written<M> write(Run run, I inputs) {
    Rows<M> rows = rows(run, inputs);
    Optional<ScoringSelection> selection = rows.batches() == null
        ? Optional.of(ScoringSelection.whole(rows.examples(), rows.bytes(), rows.nothing()))
        : ScoringSelection.freshBatches(output(), run.out(), rows.batches(), rows.examples(),
            rows.bytes(), rows.nothing());
    if (selection.isEmpty()) {
      return Written.unchanged(
          run.out().completeManifest(output().manifestType()).orElseThrow());
    }
    return score(run, inputs, selection.get());
  }
}
