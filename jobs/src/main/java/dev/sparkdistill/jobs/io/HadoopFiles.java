package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.manifest.InputFingerprint.FileFacts;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/** Small-file operations on any Hadoop FileSystem (local, HDFS, s3a). */
public final class HadoopFiles {
  private HadoopFiles() {}

  public static FileSystem fs(Path path, Configuration conf) {
    try {
      return path.getFileSystem(conf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the file system of " + path, e);
    }
  }

  public static boolean exists(Path path, Configuration conf) {
    try {
      return fs(path, conf).exists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + path, e);
    }
  }

  /**
   * Reads a config file. A path without a scheme that exists on the local disk is read from
   * there, so {@code --config conf/x.conf} works even where the default file system is HDFS.
   */
  public static String readConfigText(String location, Configuration conf) {
    java.nio.file.Path local = java.nio.file.Path.of(location);
    try {
      if (!location.contains(":") && Files.isRegularFile(local)) {
        return Files.readString(local);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + location, e);
    }
    return readText(location, conf);
  }

  /** Reads a small text file from its Hadoop file system. */
  public static String readText(String location, Configuration conf) {
    try {
      Path path = new Path(location);
      try (InputStream in = fs(path, conf).open(path)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (FileNotFoundException e) {
      throw new DistillException("file " + location + " does not exist");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + location, e);
    }
  }

  /** Bytes of every file under a path (a file's own length for a file). */
  public static long totalBytes(String location, Configuration conf) {
    Path path = new Path(location);
    try {
      return fs(path, conf).getContentSummary(path).getLength();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure " + location, e);
    }
  }

  /** Writes a small text file, replacing any file of that name. */
  public static void writeText(Path path, String text, Configuration conf) {
    try (FSDataOutputStream out = fs(path, conf).create(path, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }

  /**
   * Whether a file or folder name is hidden from readers: Hadoop's and Spark's rule ({@code _}
   * for markers and metadata such as _SUCCESS, {@code .} for temporary and checksum files).
   */
  public static boolean hidden(String name) {
    return name.startsWith("_") || name.startsWith(".");
  }

  /**
   * The data files of an input: the file itself, or the files directly under a directory,
   * leaving out names starting with '_' or '.' (markers, checksums), sorted by path.
   *
   * @param key the config key that named the input, for the error message
   */
  public static List<FileStatus> dataFiles(String location, String key, Configuration conf) {
    Path path = new Path(location);
    try {
      FileSystem fs = fs(path, conf);
      if (!fs.exists(path)) {
        throw new DistillException(key + " = " + location + " does not exist");
      }
      FileStatus status = fs.getFileStatus(path);
      List<FileStatus> files = new ArrayList<>();
      if (status.isFile()) {
        files.add(status);
      } else {
        for (FileStatus child : fs.listStatus(path)) {
          String name = child.getPath().getName();
          if (child.isFile() && !hidden(name)) {
            files.add(child);
          }
        }
      }
      if (files.isEmpty()) {
        throw new DistillException(key + " = " + location + " holds no data files");
      }
      files.sort(Comparator.comparing(f -> f.getPath().toString()));
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + location, e);
    }
  }

  public static List<FileFacts> facts(List<FileStatus> files) {
    return files.stream().map(f -> new FileFacts(
        f.getPath().toString(), f.getLen(), f.getModificationTime())).toList();
  }

  /** Opens a file, decompressing it when its extension names a Hadoop codec (.gz, .bz2, ...). */
  public static InputStream openDecompressed(Path path, Configuration conf) throws IOException {
    InputStream raw = fs(path, conf).open(path);
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
    return codec == null ? raw : codec.createInputStream(raw);
  }

  /** The first line of a text file, if it has one. */
  public static Optional<String> firstLine(Path path, Configuration conf) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(
        openDecompressed(path, conf), StandardCharsets.UTF_8))) {
      return Optional.ofNullable(reader.readLine());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }
}
