package dev.sparkdistill.jobs.io;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ConfigRendering;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TableShape;
import org.apache.hadoop.conf.Configuration;

/**
 * A table a job reads, checked complete (its {@code _manifest.json} and {@code _SUCCESS}) before
 * anything else happens, with its manifest read once: the shape every job needs, the digest a
 * job's own manifest records so that a rerun on changed input is not skipped, and the whole
 * manifest for jobs that need more of it.
 *
 * @param manifestText the manifest as stored, which the digest is taken of
 */
public record InputTable(String location, String manifestText, TableShape shape) {

  /**
   * @param key the config key that names the table, for the message ({@code infer.input})
   * @param what what it must be ({@code examples table})
   * @param remedy what writes one ({@code run prepare first})
   * @throws DistillException naming the key and the location when the table is not complete
   */
  public static InputTable complete(String location, String key, String what, String remedy,
      Configuration conf) {
    OutputDirectory table = new OutputDirectory(location, conf);
    if (!table.isComplete()) {
      throw new DistillException(key + " = " + location + " is not a complete " + what
          + " (no _manifest.json and _SUCCESS); " + remedy);
    }
    String text = HadoopFiles.readText(table.child(OutputDirectory.MANIFEST).toString(), conf);
    return new InputTable(location, text, ManifestJson.read(text, TableShape.class,
        table.child(OutputDirectory.MANIFEST).toString()));
  }

  /** The manifest's SHA-256, which outputs record as what they were made from. */
  public String digest() {
    return ConfigRendering.sha256(manifestText);
  }

  /** The whole manifest, as the given type. */
  public <T> T manifest(Class<T> type) {
    return ManifestJson.read(manifestText, type, location + "/" + OutputDirectory.MANIFEST);
  }
}
