package dev.sparkdistill.jobs.model;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Checks the header of a DL4J model file's parameters ({@code coefficients.bin}: ND4J's array
 * format, a shape-information buffer then a data buffer, each after a header of allocation
 * mode, length and data type) before ND4J reads them. ND4J allocates what a header declares in
 * native memory without checking it, so a damaged length kills the JVM with a segmentation
 * fault instead of failing; found by {@code ModelFilePropertiesTest}.
 */
final class ParameterHeader {
  static final String ENTRY = "coefficients.bin";
  /** Shape information of rank r holds 2r + 4 values; ND4J arrays have rank 32 at most. */
  private static final int MAX_SHAPE_INFO = 2 * 32 + 4;
  private static final Map<String, Integer> BYTES = Map.of("LONG", 8, "INT", 4, "FLOAT", 4,
      "DOUBLE", 8, "HALF", 2, "BFLOAT16", 2, "SHORT", 2, "BYTE", 1, "UBYTE", 1, "BOOL", 1);

  private ParameterHeader() {}

  /**
   * What is wrong with the parameters' header, if anything; empty as well when the file is no
   * zip or has no parameters entry, which ND4J's reader then reports itself.
   */
  static Optional<String> check(byte[] model) {
    byte[] entry = entry(model);
    if (entry == null) {
      return Optional.empty();
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
      in.readUTF();
      long infoLength = in.readLong();
      Integer infoBytes = BYTES.get(in.readUTF());
      if (infoLength < 4 || infoLength > MAX_SHAPE_INFO || infoBytes == null
          || infoBytes < 4) {
        return Optional.of("its parameters' shape header is damaged (length " + infoLength
            + ")");
      }
      long[] info = new long[(int) infoLength];
      for (int i = 0; i < info.length; i++) {
        info[i] = infoBytes == 8 ? in.readLong() : in.readInt();
      }
      long rank = info[0];
      if (rank < 0 || 2 * rank + 4 != infoLength) {
        return Optional.of("its parameters' shape header is damaged (rank " + rank + ")");
      }
      long count = 1;
      for (int d = 1; d <= rank; d++) {
        if (info[d] < 0 || info[d] > Integer.MAX_VALUE) {
          return Optional.of("its parameters' shape is damaged (dimension " + info[d] + ")");
        }
        count = Math.multiplyExact(count, info[d]);
      }
      in.readUTF();
      long length = in.readLong();
      Integer valueBytes = BYTES.get(in.readUTF());
      if (length != count || valueBytes == null
          || length > (long) in.available() / valueBytes) {
        return Optional.of("its parameters' header declares " + length + " values for a "
            + "shape of " + count + " and " + in.available() + " bytes follow");
      }
      return Optional.empty();
    } catch (IOException | ArithmeticException e) {
      return Optional.of("its parameters are cut short or damaged ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  /** The parameters entry of the model zip, or null. */
  private static byte[] entry(byte[] model) {
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(model))) {
      for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
        if (entry.getName().equals(ENTRY)) {
          return zip.readAllBytes();
        }
      }
      return null;
    } catch (IOException | IllegalArgumentException e) {
      return null; // not a zip, or a damaged one: ModelSerializer says so itself
    }
  }
}
