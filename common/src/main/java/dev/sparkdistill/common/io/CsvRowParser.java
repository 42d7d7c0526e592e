package dev.sparkdistill.common.io;

import dev.sparkdistill.common.data.ParsedRow;
import dev.sparkdistill.common.data.RejectReason;
import dev.sparkdistill.common.data.RowChecks;
import java.io.Serializable;
import java.util.List;
import java.util.OptionalInt;

/**
 * Turns CSV lines into {@link ParsedRow}s: every column that is neither the label nor the id is
 * a feature. Runs inside Spark tasks, so it is serializable and holds only the column layout.
 */
public final class CsvRowParser implements Serializable {
  private final char delimiter;
  private final int fieldCount;
  private final int labelIndex;
  private final int idIndex;
  private final int classCount;

  /**
   * @param fieldCount fields per line (from the header or the first line)
   * @param labelIndex the label column, or -1 when the file has none
   * @param idIndex the id column, or -1 when ids are made from the line's position
   * @param classCount the number of classes when known (labels at or above it are rejected)
   */
  public CsvRowParser(char delimiter, int fieldCount, int labelIndex, int idIndex,
      OptionalInt classCount) {
    this.delimiter = delimiter;
    this.fieldCount = fieldCount;
    this.labelIndex = labelIndex;
    this.idIndex = idIndex;
    this.classCount = classCount.orElse(Integer.MAX_VALUE);
  }

  public int featureCount() {
    return fieldCount - (labelIndex >= 0 ? 1 : 0) - (idIndex >= 0 ? 1 : 0);
  }

  /**
   * @param positionId the id to use when the file has no id column (file name and byte offset)
   */
  public ParsedRow parse(String line, String positionId) {
    List<String> fields = CsvLine.split(line, delimiter);
    String id = idIndex >= 0 && idIndex < fields.size() ? fields.get(idIndex).trim() : positionId;
    if (id.isEmpty() && fields.size() != fieldCount) {
      id = positionId;
    }
    if (fields.size() != fieldCount) {
      return ParsedRow.rejected(id, RowChecks.wrongCount(featureCount(),
          fields.size() - (fieldCount - featureCount())), line);
    }
    if (id.isEmpty()) {
      return ParsedRow.rejected(positionId,
          RejectReason.MISSING_ID.because("column " + idIndex + " is empty"), line);
    }
    Integer label = null;
    if (labelIndex >= 0) {
      Object parsed = RowChecks.parseLabel(fields.get(labelIndex));
      if (parsed instanceof String reason) {
        return ParsedRow.rejected(id, reason, line);
      }
      label = (Integer) parsed;
      String range = label == null ? null : RowChecks.checkLabelBelow(label, classCount);
      if (range != null) {
        return ParsedRow.rejected(id, range, line);
      }
    }
    float[] features = new float[featureCount()];
    int next = 0;
    for (int i = 0; i < fields.size(); i++) {
      if (i == labelIndex || i == idIndex) {
        continue;
      }
      Object value = RowChecks.parseFeature(fields.get(i), "column " + i);
      if (value instanceof String reason) {
        return ParsedRow.rejected(id, reason, line);
      }
      features[next++] = (Float) value;
    }
    return ParsedRow.accepted(id, features, label);
  }
}
