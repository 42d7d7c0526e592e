package dev.sparkdistill.common.config;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/** A column named by header name or by 0-based index, as users write it in CSV options. */
public record ColumnRef(String text) implements Serializable {

  public boolean isIndex() {
    return text.chars().allMatch(Character::isDigit) && !text.isEmpty();
  }

  /** The column's index among {@code header}, or empty when the header has no such column. */
  public Optional<Integer> resolve(List<String> header) {
    if (isIndex()) {
      int index = Integer.parseInt(text);
      return index < header.size() ? Optional.of(index) : Optional.empty();
    }
    int index = header.indexOf(text);
    return index >= 0 ? Optional.of(index) : Optional.empty();
  }

  @Override
  public String toString() {
    return text;
  }
}
