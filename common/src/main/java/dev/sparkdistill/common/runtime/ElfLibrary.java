package dev.sparkdistill.common.runtime;

import dev.sparkdistill.common.DistillException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What a 64-bit little-endian ELF shared library asks of the machine it is loaded on, read from
 * its section headers without loading it: the libraries it names as needed (as {@code readelf
 * -d} prints them) and, for a CUDA library, which GPU architectures its kernels are compiled for
 * (the entries of its {@code .nv_fatbin} section; what {@code cuobjdump --list-elf --list-ptx}
 * lists). The fatbin layout is NVIDIA's and undocumented: a container header (magic 0xBA55ED50,
 * header size, payload size) followed by entries that each start with their kind (1 PTX, 2
 * SASS), header size, payload size and, at byte 28, the architecture (86 for sm_86).
 */
public final class ElfLibrary {
  private static final int DT_NEEDED = 1;
  private static final int DT_STRTAB = 5;
  private static final int SHT_DYNAMIC = 6;
  private static final int FATBIN_MAGIC = 0xBA55ED50;

  /** A kernel image in a CUDA fatbin: PTX (compiled by the driver on load) or SASS for one architecture. */
  public record Kernel(boolean ptx, int arch) {}

  private record Section(String name, int type, long offset, long size, long address, int link) {}

  private final String file;
  private final List<String> needed;
  private final List<Kernel> kernels;

  private ElfLibrary(String file, List<String> needed, List<Kernel> kernels) {
    this.file = file;
    this.needed = List.copyOf(needed);
    this.kernels = List.copyOf(kernels);
  }

  /** @throws DistillException naming the file when it is not a 64-bit little-endian ELF file */
  public static ElfLibrary read(Path path) {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer header = read(channel, 0, 64);
      if (header.getInt(0) != 0x464C457F || header.get(4) != 2 || header.get(5) != 1) {
        throw new DistillException(path + " is not a 64-bit little-endian ELF library");
      }
      long sectionsAt = header.getLong(0x28);
      int sectionSize = Short.toUnsignedInt(header.getShort(0x3A));
      int sectionCount = Short.toUnsignedInt(header.getShort(0x3C));
      int namesIndex = Short.toUnsignedInt(header.getShort(0x3E));
      ByteBuffer table = read(channel, sectionsAt, (long) sectionSize * sectionCount);
      List<Section> raw = new ArrayList<>();
      for (int i = 0; i < sectionCount; i++) {
        int at = i * sectionSize;
        raw.add(new Section(null, table.getInt(at + 4), table.getLong(at + 0x18),
            table.getLong(at + 0x20), table.getLong(at + 0x10), table.getInt(at + 0x28)));
      }
      Section namesSection = raw.get(namesIndex);
      ByteBuffer names = read(channel, namesSection.offset(), namesSection.size());
      List<Section> sections = new ArrayList<>();
      for (int i = 0; i < sectionCount; i++) {
        Section s = raw.get(i);
        sections.add(new Section(string(names, table.getInt(i * sectionSize)), s.type(),
            s.offset(), s.size(), s.address(), s.link()));
      }
      return new ElfLibrary(path.toString(), needed(channel, sections), kernels(channel,
          sections));
    } catch (IOException | IndexOutOfBoundsException e) {
      throw new DistillException("cannot read " + path + " as an ELF library: " + e);
    }
  }

  /** The sonames in its DT_NEEDED entries, in order. */
  public List<String> needed() {
    return needed;
  }

  /** Its CUDA kernel images, one per fatbin entry (empty for a library without GPU code). */
  public List<Kernel> kernels() {
    return kernels;
  }

  public String file() {
    return file;
  }

  private static List<String> needed(FileChannel channel, List<Section> sections)
      throws IOException {
    List<String> needed = new ArrayList<>();
    for (Section dynamic : sections) {
      if (dynamic.type() != SHT_DYNAMIC) {
        continue;
      }
      Section strings = sections.get(dynamic.link());
      ByteBuffer entries = read(channel, dynamic.offset(), dynamic.size());
      ByteBuffer text = read(channel, strings.offset(), strings.size());
      for (int at = 0; at + 16 <= entries.limit(); at += 16) {
        long tag = entries.getLong(at);
        if (tag == 0) {
          break;
        }
        if (tag == DT_NEEDED) {
          needed.add(string(text, (int) entries.getLong(at + 8)));
        } else if (tag == DT_STRTAB && entries.getLong(at + 8) != strings.address()) {
          throw new IOException("its dynamic string table is not the section the dynamic "
              + "section links to");
        }
      }
    }
    return needed;
  }

  private static List<Kernel> kernels(FileChannel channel, List<Section> sections)
      throws IOException {
    List<Kernel> kernels = new ArrayList<>();
    for (Section fatbin : sections) {
      if (!".nv_fatbin".equals(fatbin.name())) {
        continue;
      }
      long at = fatbin.offset();
      long end = fatbin.offset() + fatbin.size();
      while (at + 16 <= end) {
        ByteBuffer container = read(channel, at, 16);
        if (container.getInt(0) != FATBIN_MAGIC) {
          at += 8; // containers are 8-byte aligned, with padding between them
          continue;
        }
        long entry = at + Short.toUnsignedInt(container.getShort(6));
        long containerEnd = entry + container.getLong(8);
        while (entry + 32 <= containerEnd) {
          ByteBuffer head = read(channel, entry, 32);
          int kind = Short.toUnsignedInt(head.getShort(0));
          if (kind == 1 || kind == 2) {
            kernels.add(new Kernel(kind == 1, head.getInt(28)));
          }
          entry += Integer.toUnsignedLong(head.getInt(4)) + head.getLong(8);
        }
        at = containerEnd;
      }
    }
    return kernels;
  }

  private static ByteBuffer read(FileChannel channel, long offset, long length)
      throws IOException {
    if (length < 0 || length > Integer.MAX_VALUE || offset + length > channel.size()) {
      throw new IOException("a header points past the end of the file");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, offset + buffer.position()) < 0) {
        throw new IOException("the file ends early");
      }
    }
    return buffer.flip();
  }

  private static String string(ByteBuffer table, int offset) {
    int end = offset;
    while (table.get(end) != 0) {
      end++;
    }
    return new String(table.array(), offset, end - offset, StandardCharsets.US_ASCII);
  }
}
