package dev.sparkdistill.common.io;

import static dev.sparkdistill.common.io.IdxFiles.idx;
import static dev.sparkdistill.common.io.IdxFiles.ubyte;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxHeaderTest {

  private static IdxHeader read(byte[] bytes, String file) throws IOException {
    return IdxHeader.read(new ByteArrayInputStream(bytes), file);
  }

  @Test
  void readsImageHeader() throws IOException {
    IdxHeader header = read(ubyte(new int[] {60000, 28, 28}, new byte[0]), "images.idx");

    assertThat(header.file()).isEqualTo("images.idx");
    assertThat(header.dims()).containsExactly(60000, 28, 28);
    assertThat(header.itemCount()).isEqualTo(60000);
    assertThat(header.itemSize()).isEqualTo(784);
    assertThat(header.dataOffset()).isEqualTo(16);
    assertThat(header.itemShape()).containsExactly(1, 28, 28);
  }

  @Test
  void readsLabelHeader() throws IOException {
    IdxHeader header = read(ubyte(new int[] {10000}, new byte[0]), "labels.idx");

    assertThat(header.itemCount()).isEqualTo(10000);
    assertThat(header.itemSize()).isEqualTo(1);
    assertThat(header.dataOffset()).isEqualTo(8);
    assertThat(header.itemShape()).isEmpty();
  }

  @Test
  void vectorItemsKeepTheirShape() throws IOException {
    IdxHeader header = read(ubyte(new int[] {5, 7}, new byte[0]), "vectors.idx");

    assertThat(header.itemShape()).containsExactly(7);
    assertThat(header.itemSize()).isEqualTo(7);
  }

  @Test
  void readsDimensionsBigEndian() throws IOException {
    byte[] bytes = {0, 0, 8, 2, 0, 1, 0, 0, 0, 0, 1, 2};

    assertThat(read(bytes, "f").dims()).containsExactly(65536, 258);
  }

  @Test
  void readsOnlyTheHeaderBytes() throws IOException {
    ByteArrayInputStream in = new ByteArrayInputStream(
        ubyte(new int[] {2, 2}, new byte[] {9, 8, 7, 6}));

    IdxHeader.read(in, "f");

    assertThat(in.readAllBytes()).containsExactly(9, 8, 7, 6);
  }

  @Test
  void refusesWrongMagicNumber() {
    byte[] bytes = {1, 2, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};

    assertThatThrownBy(() -> read(bytes, "photo.jpg"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file photo.jpg is not an IDX file: its magic number is 0x01020803, "
            + "expected 0x0000TTNN (TT = type, NN = dimensions)");
  }

  @Test
  void refusesZeroDimensions() {
    byte[] bytes = {0, 0, 8, 0, 0, 0, 0, 1};

    assertThatThrownBy(() -> read(bytes, "f.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file f.idx is not an IDX file: its magic number is 0x00000800, "
            + "expected 0x0000TTNN (TT = type, NN = dimensions)");
  }

  @ParameterizedTest
  @ValueSource(ints = {0x09, 0x0B, 0x0C, 0x0D, 0x0E})
  void refusesNonByteDataTypes(int type) {
    byte[] bytes = idx(type, new int[] {1, 2, 2}, new byte[16]);

    assertThatThrownBy(() -> read(bytes, "floats.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file floats.idx holds IDX data of type 0x" + String.format("%02x", type)
            + "; only unsigned bytes (0x08) are supported");
  }

  @Test
  void refusesNonPositiveDimension() {
    assertThatThrownBy(() -> read(ubyte(new int[] {3, 0, 28}, new byte[0]), "f.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file f.idx declares dimension 1 of size 0; sizes must be positive");
    assertThatThrownBy(() -> read(ubyte(new int[] {-1}, new byte[0]), "f.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file f.idx declares dimension 0 of size -1; sizes must be positive");
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 3, 4, 7, 11, 15})
  void refusesTruncatedHeader(int length) {
    byte[] full = ubyte(new int[] {3, 28, 28}, new byte[0]);
    byte[] cut = Arrays.copyOf(full, length);

    assertThatThrownBy(() -> read(cut, "short.idx"))
        .isInstanceOf(DistillException.class)
        .hasMessage("file short.idx is truncated: it ends inside the IDX header");
  }

  @Test
  void equalityComparesFileAndDimensions() {
    IdxHeader one = new IdxHeader("f", new int[] {3, 2, 2});

    assertThat(one).isEqualTo(new IdxHeader("f", new int[] {3, 2, 2}))
        .hasSameHashCodeAs(new IdxHeader("f", new int[] {3, 2, 2}))
        .isNotEqualTo(new IdxHeader("g", new int[] {3, 2, 2}))
        .isNotEqualTo(new IdxHeader("f", new int[] {3, 2, 3}));
    assertThat(one).hasToString("f [3, 2, 2]");
  }
}
