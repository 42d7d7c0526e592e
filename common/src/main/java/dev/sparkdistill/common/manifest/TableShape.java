package dev.sparkdistill.common.manifest;

import java.util.List;

/**
 * What every table manifest (examples, targets) tells a consumer about the rows: read from any of
 * them, ignoring the other fields. A model's manifest, which has no {@code featureCount}, reads
 * as the product of its feature shape.
 */
public record TableShape(String kind, List<Integer> featureShape, int featureCount,
    int classCount, List<String> classNames) {

  /** Refuses a shape no table can have, so a damaged manifest fails where it is read. */
  public TableShape {
    if (featureShape == null || featureShape.isEmpty()
        || featureShape.stream().anyMatch(size -> size == null || size <= 0)) {
      throw new IllegalArgumentException("featureShape must be a list of positive sizes, got "
          + featureShape);
    }
    long product = 1;
    for (int size : featureShape) {
      product = Math.min(product * size, Integer.MAX_VALUE + 1L);
    }
    if (featureCount == 0) {
      featureCount = (int) Math.min(product, Integer.MAX_VALUE);
    }
    if (product != featureCount) {
      throw new IllegalArgumentException("featureCount " + featureCount + " is not the product "
          + "of featureShape " + featureShape);
    }
    if (classCount < 1) {
      throw new IllegalArgumentException("classCount must be at least 1, got " + classCount);
    }
    if (classNames != null && !classNames.isEmpty() && classNames.size() != classCount) {
      throw new IllegalArgumentException(classNames.size() + " classNames for classCount "
          + classCount);
    }
  }

  /** The class names, or the class indexes ("0", "1", ...) when the table has none. */
  public List<String> classNamesOrIndexes() {
    return namesOrIndexes(classNames, classCount);
  }

  /** {@code names} when it has one name per class, else the class indexes as names. */
  public static List<String> namesOrIndexes(List<String> names, int classCount) {
    return names != null && names.size() == classCount ? List.copyOf(names)
        : java.util.stream.IntStream.range(0, classCount).mapToObj(Integer::toString).toList();
  }
}
