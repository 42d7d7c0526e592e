package dev.sparkdistill.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkdistill.common.DistillException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfLibraryTest {
  @TempDir
  Path dir;

  @Test
  void neededLibrariesAreWhatReadelfPrints() throws Exception {
    Path libjvm = Path.of(System.getProperty("java.home"), "lib", "server", "libjvm.so");
    Process readelf = new ProcessBuilder("readelf", "-d", libjvm.toString())
        .redirectErrorStream(true).start();
    String printed = new String(readelf.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(readelf.waitFor()).as(printed).isZero();
    List<String> expected = new ArrayList<>();
    Matcher needed = Pattern.compile("\\(NEEDED\\)\\s+Shared library: \\[([^]]+)]")
        .matcher(printed);
    while (needed.find()) {
      expected.add(needed.group(1));
    }

    ElfLibrary library = ElfLibrary.read(libjvm);

    assertThat(expected).contains("libc.so.6");
    assertThat(library.needed()).isEqualTo(expected);
    assertThat(library.kernels()).isEmpty();
  }

  @Test
  void kernelsAreListedFromEveryFatbinContainer() throws Exception {
    // Two containers as nvcc lays them out, 8-byte aligned with padding between them: SASS for
    // sm_37 and sm_86 in the first, PTX for sm_52 in the second.
    ByteArrayOutputStream fatbin = new ByteArrayOutputStream();
    fatbin.writeBytes(container(entry(2, 37, 100), entry(2, 86, 40)));
    fatbin.writeBytes(new byte[8]);
    fatbin.writeBytes(container(entry(1, 52, 24)));
    Path library = dir.resolve("libkernels.so");
    Files.write(library, elf(".nv_fatbin", fatbin.toByteArray()));

    assertThat(ElfLibrary.read(library).kernels()).containsExactly(
        new ElfLibrary.Kernel(false, 37), new ElfLibrary.Kernel(false, 86),
        new ElfLibrary.Kernel(true, 52));
  }

  @Test
  void aFileThatIsNotElfIsRefusedByName() throws Exception {
    Path text = dir.resolve("libnot.so");
    Files.writeString(text, "this is text, not a library; padded to be longer than 64 bytes....");

    assertThatThrownBy(() -> ElfLibrary.read(text)).isInstanceOf(DistillException.class)
        .hasMessage(text + " is not a 64-bit little-endian ELF library");
  }

  @Test
  void aTruncatedLibraryIsRefusedByName() throws Exception {
    byte[] whole = elf(".nv_fatbin", container(entry(2, 86, 8)));
    Path cut = dir.resolve("libcut.so");
    Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 70));

    assertThatThrownBy(() -> ElfLibrary.read(cut)).isInstanceOf(DistillException.class)
        .hasMessageStartingWith("cannot read " + cut + " as an ELF library");
  }

  private static byte[] entry(int kind, int arch, int payload) {
    ByteBuffer b = ByteBuffer.allocate(64 + payload).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(0, (short) kind).putShort(2, (short) 0x0101).putInt(4, 64)
        .putLong(8, payload).putInt(28, arch);
    return b.array();
  }

  private static byte[] container(byte[]... entries) {
    int size = 0;
    for (byte[] e : entries) {
      size += e.length;
    }
    ByteBuffer b = ByteBuffer.allocate(16 + size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0xBA55ED50).putShort((short) 1).putShort((short) 16).putLong(size);
    for (byte[] e : entries) {
      b.put(e);
    }
    return b.array();
  }

  /** An ELF64 file with a null section, one section of {@code content}, and the name table. */
  private static byte[] elf(String sectionName, byte[] content) {
    byte[] names = ("\0" + sectionName + "\0.shstrtab\0").getBytes(StandardCharsets.US_ASCII);
    int contentAt = 64;
    int namesAt = contentAt + content.length;
    int sectionsAt = (namesAt + names.length + 7) / 8 * 8;
    ByteBuffer b = ByteBuffer.allocate(sectionsAt + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1});
    b.putShort(0x10, (short) 3).putShort(0x12, (short) 62).putLong(0x28, sectionsAt)
        .putShort(0x3A, (short) 64).putShort(0x3C, (short) 3).putShort(0x3E, (short) 2);
    b.position(contentAt);
    b.put(content).put(names);
    section(b, sectionsAt + 64, 1, 1, contentAt, content.length);
    section(b, sectionsAt + 128, 1 + sectionName.length() + 1, 3, namesAt, names.length);
    return b.array();
  }

  private static void section(ByteBuffer b, int at, int name, int type, long offset,
      long size) {
    b.putInt(at, name).putInt(at + 4, type).putLong(at + 0x18, offset).putLong(at + 0x20, size);
  }
}
