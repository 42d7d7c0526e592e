package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobFilter;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The files under a folder tree (or a glob), counted and fingerprinted as they stream by: the
 * driver keeps three numbers, never the listing, however many files there are. The fingerprint
 * does not depend on the order the file system lists them in. Files and folders whose names
 * start with '_' or '.' are left out, as Spark's file sources leave them out.
 *
 * @param files how many files match
 * @param bytes their total size
 * @param fingerprint a digest of every file's path, size and modification time
 * @param emptyFiles the qualified paths of the files of 0 bytes, which Spark's file sources
 *     skip without a word: a reader of the tree can still account for them
 */
public record FileTree(long files, long bytes, String fingerprint, List<String> emptyFiles) {
  /** Most empty files listed by path; a tree with more is refused rather than held. */
  static final int MAX_EMPTY_FILES = 100_000;

  /**
   * @param key the config key that named the location, for the error message
   * @param namePattern a glob on file names ("*" for every file)
   */
  public static FileTree list(String location, String key, String namePattern,
      Configuration conf) {
    Path path = new Path(location);
    try {
      FileSystem fs = HadoopFiles.fs(path, conf);
      GlobFilter names = new GlobFilter(namePattern);
      FileStatus[] matched = fs.globStatus(path);
      if (matched == null || matched.length == 0) {
        throw new DistillException(key + " = " + location + " does not exist");
      }
      Digest digest = new Digest();
      for (FileStatus root : matched) {
        if (root.isFile()) {
          digest.add(root, location);
          continue;
        }
        if ("file".equals(fs.getScheme())) {
          walk(fs, root.getPath(), names, digest, location);
          continue;
        }
        int rootDepth = fs.makeQualified(root.getPath()).depth();
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(root.getPath(), true);
        while (files.hasNext()) {
          LocatedFileStatus file = files.next();
          if (!hidden(file.getPath(), rootDepth) && names.accept(file.getPath())) {
            digest.add(file, location);
          }
        }
      }
      if (digest.files == 0) {
        throw new DistillException(key + " = " + location + " holds no files named like "
            + namePattern);
      }
      return new FileTree(digest.files, digest.bytes, digest.hex(),
          List.copyOf(digest.empty));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + location, e);
    }
  }

  /**
   * A local tree, folder by folder: listFiles would build a LocatedFileStatus per file, which
   * reads the file's permissions, and without Hadoop's native library that forks a process per
   * file (3 ms each; 28 s for 10,000 files). Spark's own listing avoids it the same way.
   */
  private static void walk(FileSystem fs, Path folder, GlobFilter names, Digest digest,
      String location) throws IOException {
    RemoteIterator<FileStatus> children = fs.listStatusIterator(folder);
    while (children.hasNext()) {
      FileStatus child = children.next();
      if (HadoopFiles.hidden(child.getPath().getName())) {
        continue;
      }
      if (child.isDirectory()) {
        walk(fs, child.getPath(), names, digest, location);
      } else if (names.accept(child.getPath())) {
        digest.add(child, location);
      }
    }
  }

  /** Whether a name below the root, the file's own or a folder's, starts with '_' or '.'. */
  private static boolean hidden(Path file, int rootDepth) {
    for (Path p = file; p != null && p.depth() > rootDepth; p = p.getParent()) {
      if (HadoopFiles.hidden(p.getName())) {
        return true;
      }
    }
    return false;
  }

  /** Sums of two 64-bit slices of each file's SHA-256: order-free, and far from colliding. */
  private static final class Digest {
    private final MessageDigest sha;
    private long files;
    private long bytes;
    private long sumHigh;
    private long sumLow;
    private final List<String> empty = new ArrayList<>();

    Digest() {
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    void add(FileStatus file, String location) {
      if (file.getLen() == 0) {
        if (empty.size() == MAX_EMPTY_FILES) {
          throw new DistillException(location + " holds more than " + MAX_EMPTY_FILES
              + " empty files; remove them or narrow prepare.images.files");
        }
        empty.add(file.getPath().toString());
      }
      ByteBuffer hash = ByteBuffer.wrap(sha.digest((file.getPath() + "\t" + file.getLen() + "\t"
          + file.getModificationTime()).getBytes(StandardCharsets.UTF_8)));
      sumHigh += hash.getLong();
      sumLow += hash.getLong();
      files++;
      bytes += file.getLen();
    }

    String hex() {
      return String.format("%016x%016x:%d", sumHigh, sumLow, files);
    }
  }
}
