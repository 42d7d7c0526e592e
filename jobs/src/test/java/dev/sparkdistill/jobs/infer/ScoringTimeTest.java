package dev.sparkdistill.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.jobs.SparkTestBase;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class ScoringTimeTest extends SparkTestBase {
  @Test
  void sumsEveryTasksTimeIntoTheJobsShareAndBusyness() {
    ScoringTime time = new ScoringTime(spark.sparkContext());
    // Four tasks of 3 s, each 1.5 s inside the teachers, on 2 slots in a 10 s phase.
    JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(1, 2, 3, 4), 4)
        .foreach(task -> time.add(3_000_000_000L, 1_500_000_000L));

    assertThat(time.describe(10, 2)).isEqualTo(
        "tasks spent 50.0% of their time in the teachers and kept the 2 task slots 60.0% busy");
  }
}
