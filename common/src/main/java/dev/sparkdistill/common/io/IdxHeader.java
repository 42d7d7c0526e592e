package dev.sparkdistill.common.io;

import dev.sparkdistill.common.DistillException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Arrays;

/**
 * The header of an IDX file (the MNIST / Fashion-MNIST layout): two zero bytes, a type byte, the
 * number of dimensions, then each dimension as a big-endian int. Only unsigned-byte data (type
 * 0x08) is supported, which is what those datasets use.
 */
public record IdxHeader(String file, int[] dims) implements Serializable {
  static final int UNSIGNED_BYTE = 0x08;
  /** The largest item read: a reader holds one item at a time, so this bounds its memory. */
  public static final long MAX_ITEM_BYTES = 1L << 26;

  /** Reads the header from a (decompressed) stream positioned at the file start. */
  public static IdxHeader read(InputStream in, String file) throws IOException {
    DataInputStream data = new DataInputStream(in);
    try {
      int zero1 = data.readUnsignedByte();
      int zero2 = data.readUnsignedByte();
      int type = data.readUnsignedByte();
      int rank = data.readUnsignedByte();
      if (zero1 != 0 || zero2 != 0 || rank == 0) {
        throw new DistillException("file " + file + " is not an IDX file: its magic number is 0x"
            + String.format("%02x%02x%02x%02x", zero1, zero2, type, rank)
            + ", expected 0x0000TTNN (TT = type, NN = dimensions)");
      }
      if (type != UNSIGNED_BYTE) {
        throw new DistillException("file " + file + " holds IDX data of type 0x"
            + String.format("%02x", type) + "; only unsigned bytes (0x08) are supported");
      }
      int[] dims = new int[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = data.readInt();
        if (dims[i] <= 0) {
          throw new DistillException("file " + file + " declares dimension " + i + " of size "
              + dims[i] + "; sizes must be positive");
        }
      }
      long itemBytes = 1;
      for (int i = 1; i < rank; i++) {
        itemBytes *= dims[i];
        if (itemBytes > MAX_ITEM_BYTES) {
          throw new DistillException("file " + file + " declares items of shape "
              + Arrays.toString(Arrays.copyOfRange(dims, 1, rank)) + ", more than "
              + (MAX_ITEM_BYTES >> 20) + " MiB each; not an IDX file this job can read");
        }
      }
      return new IdxHeader(file, dims);
    } catch (EOFException e) {
      throw new DistillException("file " + file + " is truncated: it ends inside the IDX header");
    }
  }

  public long itemCount() {
    return dims[0];
  }

  /** Bytes per item: the product of the dimensions after the first. */
  public int itemSize() {
    long size = 1;
    for (int i = 1; i < dims.length; i++) {
      size *= dims[i];
    }
    return Math.toIntExact(size);
  }

  /** Bytes before the first item. */
  public int dataOffset() {
    return 4 + 4 * dims.length;
  }

  /** Shape of one item: [1, rows, cols] for images (channel first), [n] for vectors, [] for labels. */
  public int[] itemShape() {
    int[] rest = Arrays.copyOfRange(dims, 1, dims.length);
    return rest.length == 2 ? new int[] {1, rest[0], rest[1]} : rest;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof IdxHeader h && h.file.equals(file) && Arrays.equals(h.dims, dims);
  }

  @Override
  public int hashCode() {
    return file.hashCode() * 31 + Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return file + " " + Arrays.toString(dims);
  }
}
