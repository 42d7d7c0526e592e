package dev.sparkdistill.common.io;

import static dev.sparkdistill.common.io.IdxFiles.gzip;
import static dev.sparkdistill.common.io.IdxFiles.ramp;
import static dev.sparkdistill.common.io.IdxFiles.ubyte;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IdxReaderTest {
  /** Three 2x2 images with pixel values 250..255, 0..5 (so some are above 127). */
  private static final byte[] IMAGES = ubyte(new int[] {3, 2, 2}, ramp(12, 250));
  /** Five labels 9, 0, 3, 255, 1. */
  private static final byte[] LABELS =
      ubyte(new int[] {5}, new byte[] {9, 0, 3, (byte) 255, 1});

  static Stream<Arguments> encodings() {
    return Stream.of(
        Arguments.of("plain", UnaryOperator.<byte[]>identity()),
        Arguments.of("gzip", (UnaryOperator<byte[]>) IdxFiles::gzip));
  }

  private static IdxReader open(byte[] bytes, String file) throws IOException {
    return IdxReader.open(new ByteArrayInputStream(bytes), file);
  }

  private static int[] unsigned(byte[] item) {
    int[] values = new int[item.length];
    for (int i = 0; i < item.length; i++) {
      values[i] = item[i] & 0xff;
    }
    return values;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void readsImageHeaderAndItemsInOrder(String name, UnaryOperator<byte[]> encode)
      throws IOException {
    try (IdxReader reader = open(encode.apply(IMAGES), "images.idx")) {
      assertThat(reader.header().dims()).containsExactly(3, 2, 2);
      assertThat(reader.header().itemShape()).containsExactly(1, 2, 2);
      assertThat(unsigned(reader.nextItem())).containsExactly(250, 251, 252, 253);
      assertThat(unsigned(reader.nextItem())).containsExactly(254, 255, 0, 1);
      assertThat(unsigned(reader.nextItem())).containsExactly(2, 3, 4, 5);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void readsLabels(String name, UnaryOperator<byte[]> encode) throws IOException {
    try (IdxReader reader = open(encode.apply(LABELS), "labels.idx")) {
      assertThat(reader.header().itemShape()).isEmpty();
      assertThat(reader.header().itemCount()).isEqualTo(5);
      int[] labels = new int[5];
      for (int i = 0; i < 5; i++) {
        labels[i] = reader.nextItem()[0] & 0xff;
      }
      assertThat(labels).containsExactly(9, 0, 3, 255, 1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void skipToMovesToTheGivenItem(String name, UnaryOperator<byte[]> encode) throws IOException {
    try (IdxReader reader = open(encode.apply(IMAGES), "images.idx")) {
      reader.skipTo(2);
      assertThat(unsigned(reader.nextItem())).containsExactly(2, 3, 4, 5);
    }
    try (IdxReader reader = open(encode.apply(LABELS), "labels.idx")) {
      reader.skipTo(1);
      assertThat(reader.nextItem()[0]).isEqualTo((byte) 0);
      reader.skipTo(3);
      assertThat(reader.nextItem()[0] & 0xff).isEqualTo(255);
      reader.skipTo(4);
      assertThat(reader.nextItem()[0]).isEqualTo((byte) 1);
    }
  }

  @Test
  void skipToTheCurrentItemStaysPut() throws IOException {
    try (IdxReader reader = open(LABELS, "labels.idx")) {
      reader.nextItem();
      reader.skipTo(1);
      assertThat(reader.nextItem()[0]).isEqualTo((byte) 0);
    }
  }

  @Test
  void refusesToMoveBack() throws IOException {
    try (IdxReader reader = open(LABELS, "labels.idx")) {
      reader.skipTo(2);
      assertThatThrownBy(() -> reader.skipTo(1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cannot move from item 2 to 1 of 5");
    }
  }

  @Test
  void refusesToReadPastTheLastItem() throws IOException {
    try (IdxReader reader = open(LABELS, "labels.idx")) {
      reader.skipTo(5);
      assertThatThrownBy(reader::nextItem)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("read past the last of 5 items");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void refusesTruncatedData(String name, UnaryOperator<byte[]> encode)
      throws IOException {
    // Declares 3 images of 4 bytes but holds 10 bytes: the third is cut short.
    byte[] bytes = encode.apply(ubyte(new int[] {3, 2, 2}, ramp(10, 0)));
    try (IdxReader reader = open(bytes, "cut.idx")) {
      reader.nextItem();
      reader.nextItem();
      assertThatThrownBy(reader::nextItem)
          .isInstanceOf(DistillException.class)
          .hasMessage("file cut.idx is truncated: its header declares 3 items of 4 bytes, "
              + "more than the file holds");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void refusesSkippingIntoMissingData(String name, UnaryOperator<byte[]> encode)
      throws IOException {
    // Declares 3 images of 4 bytes but holds 5 bytes.
    byte[] bytes = encode.apply(ubyte(new int[] {3, 2, 2}, ramp(5, 0)));
    try (IdxReader reader = open(bytes, "cut.idx")) {
      assertThatThrownBy(() -> reader.skipTo(2))
          .isInstanceOf(DistillException.class)
          .hasMessage("file cut.idx is truncated: its header declares 3 items of 4 bytes, "
              + "more than the file holds");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("encodings")
  void refusesFileWithHeaderButNoData(String name, UnaryOperator<byte[]> encode)
      throws IOException {
    try (IdxReader reader = open(encode.apply(ubyte(new int[] {2}, new byte[0])), "empty.idx")) {
      assertThatThrownBy(reader::nextItem)
          .isInstanceOf(DistillException.class)
          .hasMessage("file empty.idx is truncated: its header declares 2 items of 1 bytes, "
              + "more than the file holds");
    }
  }

  @Test
  void wrongMagicIsReportedForGzippedFilesToo() {
    byte[] bytes = gzip(new byte[] {1, 2, 8, 3, 0, 0, 0, 1});

    assertThatThrownBy(() -> open(bytes, "x.gz"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file x.gz is not an IDX file: its magic number is 0x01020803, "
            + "expected 0x0000TTNN (TT = type, NN = dimensions)");
  }

  @Test
  void nonByteTypeIsReportedThroughTheReader() {
    byte[] bytes = IdxFiles.idx(0x0D, new int[] {1, 1}, new byte[4]);

    assertThatThrownBy(() -> open(bytes, "floats.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file floats.idx holds IDX data of type 0x0d; "
            + "only unsigned bytes (0x08) are supported");
  }

  @Test
  void truncatedHeaderIsReportedForPlainAndGzippedFiles() {
    byte[] cut = {0, 0, 8, 3, 0, 0};

    assertThatThrownBy(() -> open(cut, "a.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file a.idx is truncated: it ends inside the IDX header");
    assertThatThrownBy(() -> open(gzip(cut), "a.idx.gz"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file a.idx.gz is truncated: it ends inside the IDX header");
    assertThatThrownBy(() -> open(new byte[0], "zero.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file zero.idx is truncated: it ends inside the IDX header");
  }

  @Test
  void decompressIfGzipPassesPlainStreamsThroughUnread() throws IOException {
    InputStream plain = new java.io.BufferedInputStream(new ByteArrayInputStream(LABELS));

    InputStream out = IdxReader.decompressIfGzip(plain);

    assertThat(out).isSameAs(plain);
    assertThat(out.readAllBytes()).isEqualTo(LABELS);
  }

  @Test
  void decompressIfGzipInflatesGzipStreams() throws IOException {
    InputStream gz = new java.io.BufferedInputStream(new ByteArrayInputStream(gzip(LABELS)));

    assertThat(IdxReader.decompressIfGzip(gz).readAllBytes()).isEqualTo(LABELS);
  }

  @Test
  void skippingPastTheEndOfACompleteFileIsNotReportedAsTruncation() throws IOException {
    try (IdxReader reader = open(LABELS, "labels.idx")) {
      assertThatThrownBy(() -> reader.skipTo(7))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
