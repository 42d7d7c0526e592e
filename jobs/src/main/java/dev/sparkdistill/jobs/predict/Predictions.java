package dev.sparkdistill.jobs.predict;

import dev.sparkdistill.common.config.PredictConfig;
import dev.sparkdistill.common.manifest.TableShape;
import dev.sparkdistill.common.targets.Ensemble;
import dev.sparkdistill.jobs.io.ExampleBatches;
import dev.sparkdistill.jobs.model.ShippedModel;
import dev.sparkdistill.jobs.model.Teacher;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Scores one partition of examples in batches with the model and builds the prediction rows.
 * Input rows hold id, features, split, the batch when incremental, then the passthrough
 * columns, which are copied as they are. They come in batches from {@link ExampleBatches}, as in
 * {@code infer}: the row decoder would box every feature value (measured with it: 0.89x the
 * rows/s of {@code infer} on the demo's student, though predictions write less than targets).
 */
final class Predictions implements Serializable {
  private final Broadcast<ShippedModel> model;
  private final List<String> classNames;
  private final int topK;
  private final boolean incremental;
  private final StructType schema;
  private final int columnCount;

  /** @param input the schema of the rows to score, in the order above */
  Predictions(Broadcast<ShippedModel> model, TableShape shape, PredictConfig config,
      StructType input) {
    this.model = model;
    this.classNames = shape.classNamesOrIndexes();
    this.topK = Math.min(config.topK(), shape.classCount());
    this.incremental = config.incremental();
    this.schema = outputSchema(input, topK, incremental);
    this.columnCount = input.fields().length;
  }


  /**
   * id, prediction, prediction_name, probability, top_k when asked, the passthrough columns,
   * split and the batch column last, as the writer's partition columns.
   */
  private static StructType outputSchema(StructType input, int topK, boolean incremental) {
    List<StructField> fields = new ArrayList<>(List.of(
        DataTypes.createStructField(PredictConfig.ID, DataTypes.StringType, false),
        DataTypes.createStructField(PredictConfig.PREDICTION, DataTypes.IntegerType, false),
        DataTypes.createStructField(PredictConfig.PREDICTION_NAME, DataTypes.StringType, false),
        DataTypes.createStructField(PredictConfig.PROBABILITY, DataTypes.DoubleType, false)));
    if (topK > 0) {
      fields.add(DataTypes.createStructField(PredictConfig.TOP_K, DataTypes.createArrayType(
          DataTypes.createStructType(List.of(
              DataTypes.createStructField("class", DataTypes.IntegerType, false),
              DataTypes.createStructField("name", DataTypes.StringType, false),
              DataTypes.createStructField("probability", DataTypes.DoubleType, false))),
          false), false));
    }
    fields.addAll(Arrays.asList(input.fields()).subList(passthroughFrom(incremental),
        input.fields().length));
    fields.add(input.fields()[2]);
    if (incremental) {
      fields.add(input.fields()[3]);
    }
    return DataTypes.createStructType(fields);
  }

  /** Input positions: id, features, split, then the batch when incremental. */
  private static final int ID = 0;
  private static final int SPLIT = 2;
  private static final int BATCH = 3;

  /** Where the passthrough columns start in an input row: after id, features, split, batch. */
  private static int passthroughFrom(boolean incremental) {
    return incremental ? 4 : 3;
  }

  StructType schema() {
    return schema;
  }

  Iterator<Row> predict(Iterator<ExampleBatches.Batch> batches) {
    Teacher scorer = model.value().teacher();
    return new Iterator<>() {
      private Iterator<Row> batch = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        if (!batch.hasNext() && batches.hasNext()) {
          batch = predictBatch(batches.next(), scorer).iterator();
        }
        return batch.hasNext();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return batch.next();
      }
    };
  }

  private List<Row> predictBatch(ExampleBatches.Batch batch, Teacher scorer) {
    float[][] logits = scorer.logits(batch.features(), batch.rows());
    List<Row> out = new ArrayList<>(batch.rows());
    for (int i = 0; i < batch.rows(); i++) {
      out.add(toRow(batch, i, Ensemble.softmax(logits[i])));
    }
    return out;
  }

  private Row toRow(ExampleBatches.Batch batch, int row, double[] probabilities) {
    int predicted = Ensemble.argmax(probabilities);
    Object[] values = new Object[schema.fields().length];
    int v = 0;
    values[v++] = batch.string(ID, row);
    values[v++] = predicted;
    values[v++] = classNames.get(predicted);
    values[v++] = probabilities[predicted];
    if (topK > 0) {
      values[v++] = topClasses(probabilities);
    }
    for (int c = passthroughFrom(incremental); c < columnCount; c++) {
      values[v++] = batch.value(c, row);
    }
    values[v++] = batch.string(SPLIT, row);
    if (incremental) {
      values[v] = batch.string(BATCH, row);
    }
    return RowFactory.create(values);
  }

  /**
   * The k most probable classes, most probable first; ties by class index. An array, which
   * Spark's row encoder takes for an array column as it takes a Scala sequence.
   */
  private Row[] topClasses(double[] probabilities) {
    Integer[] order = new Integer[probabilities.length];
    for (int c = 0; c < order.length; c++) {
      order[c] = c;
    }
    Arrays.sort(order, (a, b) -> Double.compare(probabilities[b], probabilities[a]));
    Row[] top = new Row[topK];
    for (int k = 0; k < topK; k++) {
      top[k] = RowFactory.create(order[k], classNames.get(order[k]), probabilities[order[k]]);
    }
    return top;
  }
}
