package dev.sparkdistill.common.io;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CsvLineTest {

  @Test
  void splitsOnTheDelimiter() {
    assertThat(CsvLine.split("a,b,c", ',')).containsExactly("a", "b", "c");
    assertThat(CsvLine.split("a;b,c", ';')).containsExactly("a", "b,c");
    assertThat(CsvLine.split("1\t2\t3", '\t')).containsExactly("1", "2", "3");
  }

  @Test
  void keepsEmptyFields() {
    assertThat(CsvLine.split("a,,c", ',')).containsExactly("a", "", "c");
    assertThat(CsvLine.split(",b,", ',')).containsExactly("", "b", "");
    assertThat(CsvLine.split(",", ',')).containsExactly("", "");
  }

  @Test
  void emptyLineIsOneEmptyField() {
    assertThat(CsvLine.split("", ',')).containsExactly("");
  }

  @Test
  void quotedFieldLosesItsQuotes() {
    assertThat(CsvLine.split("\"a\",\"b\"", ',')).containsExactly("a", "b");
  }

  @Test
  void delimiterInsideQuotesIsPartOfTheField() {
    assertThat(CsvLine.split("1,\"x,y\",2", ',')).containsExactly("1", "x,y", "2");
  }

  @Test
  void doubledQuoteInsideQuotesIsOneQuote() {
    assertThat(CsvLine.split("\"say \"\"hi\"\"\",2", ',')).containsExactly("say \"hi\"", "2");
    assertThat(CsvLine.split("\"\"\"\"", ',')).containsExactly("\"");
  }

  @Test
  void emptyQuotedFieldIsEmpty() {
    assertThat(CsvLine.split("\"\",x", ',')).containsExactly("", "x");
  }

  @Test
  void quoteAfterLeadingBlanksOpensAQuotedField() {
    assertThat(CsvLine.split("a,  \"b,c\"", ',')).containsExactly("a", "b,c");
  }

  @Test
  void quoteInsideAnUnquotedFieldIsKept() {
    assertThat(CsvLine.split("a\"b,c", ',')).containsExactly("a\"b", "c");
  }

  @Test
  void trailingCarriageReturnIsDropped() {
    assertThat(CsvLine.split("a,b\r", ',')).containsExactly("a", "b");
    assertThat(CsvLine.split("a,\"b\"\r", ',')).containsExactly("a", "b");
    assertThat(CsvLine.split("a,\r", ',')).containsExactly("a", "");
  }

  @Test
  void unquotedWhitespaceIsKept() {
    assertThat(CsvLine.split(" a , b ", ',')).containsExactly(" a ", " b ");
  }
}
