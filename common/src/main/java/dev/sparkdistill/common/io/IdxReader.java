package dev.sparkdistill.common.io;

import dev.sparkdistill.common.DistillException;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Reads the items of one IDX file from a given index on, decompressing gzip when the stream
 * starts with the gzip magic. A Spark task reads its own range, so skipping to the start costs
 * a seek (plain files) or a decompression of the prefix (gzip).
 */
public final class IdxReader implements Closeable {
  private final InputStream in;
  private final IdxHeader header;
  private final boolean compressed;
  private final byte[] item;
  private long next;

  private IdxReader(InputStream in, IdxHeader header, boolean compressed) {
    this.in = in;
    this.header = header;
    this.compressed = compressed;
    this.item = new byte[header.itemSize()];
  }

  /** Opens {@code raw} (the file's bytes from its start) and reads the header. */
  public static IdxReader open(InputStream raw, String file) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
    InputStream in = decompressIfGzip(buffered);
    return new IdxReader(in, IdxHeader.read(in, file), in != buffered);
  }

  /** Whether the file is gzip-compressed, so its length says nothing of its items. */
  public boolean compressed() {
    return compressed;
  }

  public static InputStream decompressIfGzip(InputStream buffered) throws IOException {
    buffered.mark(2);
    int b1 = buffered.read();
    int b2 = buffered.read();
    buffered.reset();
    if (b1 == 0x1f && b2 == 0x8b) {
      return new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16);
    }
    return buffered;
  }

  public IdxHeader header() {
    return header;
  }

  /** Moves to item {@code index} (forward only). */
  public void skipTo(long index) throws IOException {
    if (index < next || index > header.itemCount()) {
      throw new IllegalArgumentException("cannot move from item " + next + " to " + index
          + " of " + header.itemCount());
    }
    try {
      in.skipNBytes((index - next) * item.length);
    } catch (java.io.EOFException e) {
      throw truncated();
    }
    next = index;
  }

  /** The next item's bytes (the returned array is reused by the following call). */
  public byte[] nextItem() throws IOException {
    if (next >= header.itemCount()) {
      throw new IllegalStateException("read past the last of " + header.itemCount() + " items");
    }
    int read = in.readNBytes(item, 0, item.length);
    if (read < item.length) {
      throw truncated();
    }
    next++;
    return item;
  }

  private DistillException truncated() {
    return new DistillException("file " + header.file() + " is truncated: its header declares "
        + header.itemCount() + " items of " + item.length + " bytes, more than the file holds");
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
