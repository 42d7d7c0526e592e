package dev.sparkdistill.common.io;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/** Builds IDX file bytes in memory. */
final class IdxFiles {
  private IdxFiles() {}

  /** Magic 0x0000TTNN, the dimensions big-endian, then {@code data} as is. */
  static byte[] idx(int type, int[] dims, byte[] data) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(0);
      out.writeByte(0);
      out.writeByte(type);
      out.writeByte(dims.length);
      for (int dim : dims) {
        out.writeInt(dim);
      }
      out.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** An unsigned-byte IDX file. */
  static byte[] ubyte(int[] dims, byte[] data) {
    return idx(0x08, dims, data);
  }

  /** {@code count} bytes 0, 1, 2, ... wrapping at 256 (so values above 127 occur). */
  static byte[] ramp(int count, int start) {
    byte[] data = new byte[count];
    for (int i = 0; i < count; i++) {
      data[i] = (byte) (start + i);
    }
    return data;
  }

  static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(plain);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
