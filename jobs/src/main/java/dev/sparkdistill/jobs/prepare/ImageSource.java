package dev.sparkdistill.jobs.prepare;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ImageOptions;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.data.ParsedRow;
import dev.sparkdistill.common.data.RejectReason;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.io.ImageDecoder;
import dev.sparkdistill.jobs.io.FileTree;
import dev.sparkdistill.jobs.io.HadoopConf;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads image files: a folder tree listed by Spark's {@code binaryFile} source (recursive, any
 * Hadoop path), or the files a listing names; the tasks read the files themselves. Every file is
 * decoded in the task that reads it, one at a time, so a task holds one file and one decoded
 * image; a file that cannot become an example is a rejected row naming its path and why.
 *
 * <p>Ids are {@code <split>/<path below the input>} for a tree and the file's qualified path for
 * a listing: stable across reruns and telling where a rejected row came from.
 */
final class ImageSource implements ExampleSource {
  private static final Logger LOG = LoggerFactory.getLogger(ImageSource.class);
  /** Most files one task decodes: small files otherwise make thousands of tiny tasks. */
  private static final long FILES_PER_TASK = 2_000;
  private static final long BYTES_PER_TASK = 128L << 20;
  private static final String PATH = "path";

  private final PrepareConfig config;
  private final List<String> classNames;
  private final Map<Split, FileTree> trees;

  /**
   * @param classNames the table's classes, in label order; empty when rows have no labels
   * @param trees the listed files of each split's input, for tree layouts
   */
  ImageSource(PrepareConfig config, List<String> classNames, Map<Split, FileTree> trees) {
    this.config = config;
    this.classNames = classNames;
    this.trees = trees;
  }

  @Override
  public SourceRows read(SparkSession spark, Split split, OptionalInt classCount) {
    ImageOptions images = config.images();
    String key = "prepare.input." + split.value();
    String location = config.input(split).orElseThrow();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Map<String, Integer> classIndex = new HashMap<>();
    for (int i = 0; i < classNames.size(); i++) {
      classIndex.put(classNames.get(i), i);
    }
    Decoding decoding = new Decoding(split, images.layout(), classIndex,
        !config.classNames().isEmpty(), new ImageDecoder(images), new HadoopConf(conf));
    Dataset<Row> files = images.layout() == ImageOptions.Layout.LISTING
        ? listing(spark, location, key, conf)
        : tree(spark, split, location, conf);
    Dataset<Row> rows = ParsedRows.dataset(spark,
        files.javaRDD().mapPartitions(decoding::decode));
    return new SourceRows(rows, images.shape(),
        images.layout() == ImageOptions.Layout.LISTING);
  }

  /**
   * The classes of an image input: {@code prepare.class-names}, else the training input's class
   * folders (sorted by name, as torchvision's ImageFolder sorts them), else the training
   * listing's labels (sorted; by value when every label is a whole number). Empty for unlabeled
   * images.
   */
  static List<String> classNames(SparkSession spark, PrepareConfig config) {
    if (!config.classNames().isEmpty()) {
      return config.classNames();
    }
    ImageOptions images = config.images();
    String train = config.input(Split.TRAIN).orElseThrow();
    List<String> names = switch (images.layout()) {
      case FOLDERS -> classFolders(train, spark.sparkContext().hadoopConfiguration());
      case LISTING -> images.labelColumn().isEmpty() ? List.of()
          : listedLabels(checkedListing(spark, train, "prepare.input.train", images,
              spark.sparkContext().hadoopConfiguration()), images.labelColumn());
      case UNLABELED -> List.of();
    };
    if (config.classCount() > 0 && !names.isEmpty() && names.size() != config.classCount()) {
      throw new DistillException("prepare.class-count = " + config.classCount() + " but "
          + train + " has " + names.size() + " classes " + names + "; set prepare.class-names "
          + "to the classes in label order");
    }
    if (!names.isEmpty()) {
      LOG.info("{} classes from {}: {}", names.size(), train, names);
    }
    return names;
  }

  private static List<String> classFolders(String train, Configuration conf) {
    Path root = new Path(train);
    try {
      FileSystem fs = HadoopFiles.fs(root, conf);
      if (!fs.exists(root) || !fs.getFileStatus(root).isDirectory()) {
        throw new DistillException("prepare.input.train = " + train + " is not a folder; with "
            + "prepare.images.layout = folders it holds a folder per class");
      }
      List<String> names = Arrays.stream(fs.listStatus(root)).filter(FileStatus::isDirectory)
          .map(s -> s.getPath().getName())
          .filter(name -> !HadoopFiles.hidden(name))
          .sorted().toList();
      if (names.isEmpty()) {
        throw new DistillException("prepare.input.train = " + train + " holds no class folders; "
            + "with prepare.images.layout = folders each class's images go in a folder named "
            + "after the class (or set prepare.images.layout = unlabeled)");
      }
      return names;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot list " + train, e);
    }
  }

  private static List<String> listedLabels(Dataset<Row> listing, String labelColumn) {
    List<String> labels = new ArrayList<>();
    listing.select(col(labelColumn).cast(DataTypes.StringType)).distinct()
        .collectAsList().forEach(r -> {
          if (!r.isNullAt(0) && !r.getString(0).trim().isEmpty()) {
            labels.add(r.getString(0).trim());
          }
        });
    boolean numbers = !labels.isEmpty() && labels.stream().allMatch(l -> l.matches("\\d{1,9}"));
    labels.sort(numbers ? Comparator.comparingInt(Integer::parseInt)
        : Comparator.naturalOrder());
    return List.copyOf(labels);
  }

  /** Id and path of every file of the tree, in a task per couple of thousand small files. */
  private Dataset<Row> tree(SparkSession spark, Split split, String location,
      Configuration conf) {
    ImageOptions images = config.images();
    org.apache.spark.sql.DataFrameReader reader = spark.read().format("binaryFile")
        .option("recursiveFileLookup", "true");
    if (!images.files().equals("*")) {
      // A glob is a regular expression matched per file: none at all for every file.
      reader = reader.option("pathGlobFilter", images.files());
    }
    // The source only lists the files: without its content column it never opens one, and the
    // decoding task reads each file itself (Decoding.read).
    Dataset<Row> files = reader.load(location)
        .select(col(PATH), lit(null).cast(DataTypes.StringType).as("label"));
    // Paths below the input: Spark's paths are qualified (file:/..., s3a://bucket/...).
    Path root = new Path(location);
    String prefix = HadoopFiles.fs(root, conf).makeQualified(root).toString();
    Column below = org.apache.spark.sql.functions.expr("substring(path, "
        + (prefix.length() + 2) + ")");
    Column id = concat(lit(split.value() + "/"), when(col(PATH).startsWith(prefix + "/"), below)
        .otherwise(col(PATH)));
    files = files.select(id.as("id"), col(PATH), col("label"));
    FileTree tree = trees.get(split);
    int tasks = tasks(spark, tree.files(), tree.bytes());
    if (files.rdd().getNumPartitions() > tasks) {
      files = files.coalesce(tasks);
    }
    if (tree.emptyFiles().isEmpty()) {
      return files;
    }
    // Spark's file sources skip files of 0 bytes; they are rows too, rejected as empty.
    List<Row> empty = tree.emptyFiles().stream().map(path -> RowFactory.create(
        split.value() + "/" + (path.startsWith(prefix + "/")
            ? path.substring(prefix.length() + 1) : path), path, null)).toList();
    return files.union(spark.createDataFrame(empty, files.schema()));
  }

  /** The tasks for {@code files} small files: few enough that each is worth starting. */
  private static int tasks(SparkSession spark, long files, long bytes) {
    long byCount = (files + FILES_PER_TASK - 1) / FILES_PER_TASK;
    long byBytes = (bytes + BYTES_PER_TASK - 1) / BYTES_PER_TASK;
    long spread = Math.min(files, 2L * spark.sparkContext().defaultParallelism());
    return (int) Math.max(1, Math.max(spread, Math.max(byCount, byBytes)));
  }

  /** The files a listing names, resolved against the listing's folder, spread over tasks. */
  private Dataset<Row> listing(SparkSession spark, String location, String key,
      Configuration conf) {
    ImageOptions images = config.images();
    Dataset<Row> listing = checkedListing(spark, location, key, images, conf);
    Path listed = new Path(location);
    Path base = HadoopFiles.fs(listed, conf).makeQualified(listed);
    try {
      if (HadoopFiles.fs(listed, conf).getFileStatus(listed).isFile()) {
        base = base.getParent();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + location, e);
    }
    Column path = col(images.pathColumn()).cast(DataTypes.StringType);
    // A path with a scheme (s3a://...) or from the root is taken as it is.
    Column resolved = when(path.rlike("^([a-zA-Z][a-zA-Z0-9+.-]*:|/)"), path)
        .otherwise(concat(lit(base + "/"), path));
    Column label = images.labelColumn().isEmpty() ? lit(null).cast(DataTypes.StringType)
        : col(images.labelColumn()).cast(DataTypes.StringType);
    // A listing is small, so its rows are spread over the tasks with a shuffle.
    return listing.select(path.as("id"), resolved.as(PATH), label.as("label"))
        .repartition(tasks(spark, listing.count(), 0));
  }

  /** The listing, refused in one line when it lacks the path or label column. */
  private static Dataset<Row> checkedListing(SparkSession spark, String location, String key,
      ImageOptions images, Configuration conf) {
    Dataset<Row> listing = readListing(spark, location, key, conf);
    List<String> columns = Arrays.asList(listing.columns());
    for (String column : new String[] {images.pathColumn(), images.labelColumn()}) {
      if (!column.isEmpty() && !columns.contains(column)) {
        throw new DistillException(key + " = " + location + " has no column '" + column
            + "' (prepare.images." + (column.equals(images.pathColumn()) ? "path" : "label")
            + "-column); its columns are " + columns);
      }
    }
    return listing;
  }

  private static Dataset<Row> readListing(SparkSession spark, String location, String key,
      Configuration conf) {
    List<FileStatus> files = HadoopFiles.dataFiles(location, key, conf);
    String name = files.get(0).getPath().getName();
    if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
      return spark.read().option("header", "true").csv(location);
    }
    try {
      return spark.read().parquet(location);
    } catch (RuntimeException e) {
      throw new DistillException(key + " = " + location + " is neither a CSV listing (a .csv "
          + "file with a header) nor a Parquet one: " + e.getMessage(), e);
    }
  }

  /** What the tasks need to turn files into rows; serializable, with no SparkSession. */
  /**
   * @param indexesAreLabels whether a listed number may name a class by its index: only when
   *     prepare.class-names fixes the order (names drawn from the labels are sorted, and a
   *     number would then point at another class)
   */
  private record Decoding(Split split, ImageOptions.Layout layout,
      Map<String, Integer> classIndex, boolean indexesAreLabels, ImageDecoder decoder,
      HadoopConf conf) implements Serializable {

    Iterator<Row> decode(Iterator<Row> files) {
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return files.hasNext();
        }

        @Override
        public Row next() {
          return ParsedRows.toRow(decodeOne(files.next()), split);
        }
      };
    }

    private ParsedRow decodeOne(Row file) {
      String relative = file.isNullAt(0) ? "" : file.getString(0).trim();
      String path = file.getString(1);
      if (path == null || relative.isEmpty()) {
        return ParsedRow.rejected(split.value() + "/", RejectReason.MISSING_FILE.because(
            "the listing's path is empty"), null);
      }
      String id = relative;
      if (layout == ImageOptions.Layout.LISTING) {
        // A listed file's id is its qualified path: the same file listed in two splits, on
        // two days or spelled two ways is one id, and so a duplicate.
        Path qualified = new Path(path);
        path = HadoopFiles.fs(qualified, conf.get()).makeQualified(qualified).toString();
        id = path;
      }
      Object label = label(id, file.isNullAt(2) ? null : file.getString(2));
      if (label instanceof String reason) {
        return ParsedRow.rejected(id, reason, path);
      }
      try {
        return ParsedRow.accepted(id, decoder.decode(read(path)), (Integer) label);
      } catch (ImageDecoder.UnusableImage e) {
        return ParsedRow.rejected(id, e.getMessage(), path);
      } catch (FileNotFoundException e) {
        return ParsedRow.rejected(id, RejectReason.MISSING_FILE.because(path
            + " does not exist"), path);
      } catch (IOException e) {
        // A store that fails to serve a file fails the task (Spark retries it), as it would
        // for any input; only the file's own content decides a rejection.
        throw new java.io.UncheckedIOException("cannot read " + path, e);
      }
    }

    /** The label index, null for an unlabeled image, or the reject reason. */
    private Object label(String id, String listed) {
      String name;
      if (layout == ImageOptions.Layout.FOLDERS) {
        String below = id.substring(split.value().length() + 1);
        int slash = below.indexOf('/');
        if (slash < 0) {
          return RejectReason.UNKNOWN_CLASS.because("the image is not inside a class folder");
        }
        name = below.substring(0, slash);
      } else if (listed == null || listed.trim().isEmpty()) {
        return null;
      } else {
        name = listed.trim();
      }
      Integer index = classIndex.get(name);
      if (index == null && indexesAreLabels && layout == ImageOptions.Layout.LISTING
          && name.matches("\\d{1,9}") && Integer.parseInt(name) < classIndex.size()) {
        index = Integer.parseInt(name);
      }
      if (index == null) {
        return RejectReason.UNKNOWN_CLASS.because((layout == ImageOptions.Layout.FOLDERS
            ? "folder '" : "label '") + name + "' is not one of the " + classIndex.size()
            + " classes");
      }
      return index;
    }

    /**
     * A file's bytes. A local file is read with java.nio: Hadoop's local stream builds its I/O
     * statistics on every open, which took a third of the decode stage for small images.
     */
    private byte[] read(String location) throws IOException {
      Path path = new Path(location);
      if ("file".equals(path.toUri().getScheme())) {
        try {
          return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(path.toUri()));
        } catch (java.nio.file.NoSuchFileException e) {
          throw new FileNotFoundException(location);
        }
      }
      FileSystem fs = HadoopFiles.fs(path, conf.get());
      try (InputStream in = fs.open(path)) {
        return in.readAllBytes();
      }
    }
  }
}
