package dev.sparkdistill.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class TargetsWriterTest {
  @Test
  void turnsDictionariesOffForTheIdsAndEveryTeacherOutputButNotForTheFeatures() {
    StructType targets = new StructType().add("id", "string").add("features", "array<float>")
        .add("label", "int").add("teacher_logits", "array<float>")
        .add("teacher_0_logits", "array<float>").add("topk_index", "array<int>")
        .add("topk_logit", "array<float>").add("rest_logit", "float").add("split", "string");

    Map<String, String> options = TargetsWriter.dictionaryOptions(targets);

    assertThat(options.values()).containsOnly("false");
    assertThat(options.keySet()).containsExactlyInAnyOrder(
        "parquet.enable.dictionary#id", "parquet.enable.dictionary#teacher_logits",
        "parquet.enable.dictionary#teacher_logits.array",
        "parquet.enable.dictionary#teacher_logits.list.element",
        "parquet.enable.dictionary#teacher_0_logits",
        "parquet.enable.dictionary#teacher_0_logits.array",
        "parquet.enable.dictionary#teacher_0_logits.list.element",
        "parquet.enable.dictionary#topk_logit", "parquet.enable.dictionary#topk_logit.array",
        "parquet.enable.dictionary#topk_logit.list.element",
        "parquet.enable.dictionary#rest_logit");
  }
}
