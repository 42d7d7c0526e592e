package dev.sparkdistill.jobs.prepare;

import dev.sparkdistill.common.DistillException;
import dev.sparkdistill.common.config.ColumnRef;
import dev.sparkdistill.common.config.CsvOptions;
import dev.sparkdistill.common.config.PrepareConfig;
import dev.sparkdistill.common.data.Split;
import dev.sparkdistill.common.io.CsvLine;
import dev.sparkdistill.common.io.CsvRowParser;
import dev.sparkdistill.jobs.io.HadoopFiles;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Reads CSV files line by line through Hadoop's TextInputFormat, so large files split across
 * tasks. The driver reads one line (the header, or the first row) to learn the column layout.
 * Without an id column, a row's id is {@code <split>/<file name>:<byte offset>}, which also says
 * where to find a rejected row. Blank lines are not rows and are skipped.
 */
final class CsvSource implements ExampleSource {
  private final PrepareConfig config;

  CsvSource(PrepareConfig config) {
    this.config = config;
  }

  @Override
  public SourceRows read(SparkSession spark, Split split, OptionalInt classCount) {
    String key = "prepare.input." + split.value();
    String location = config.input(split).orElseThrow();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<FileStatus> files = HadoopFiles.dataFiles(location, key, conf);
    FileStatus first = files.get(0);
    String firstLine = HadoopFiles.firstLine(first.getPath(), conf).orElseThrow(() ->
        new DistillException("file " + first.getPath() + " is empty; expected CSV rows"));
    CsvOptions csv = config.csv();
    List<String> columns = columns(CsvLine.split(firstLine, csv.delimiter()), csv.header());
    int labelIndex = index(csv.labelColumn(), "prepare.csv.label-column", columns, first);
    int idIndex = index(csv.idColumn(), "prepare.csv.id-column", columns, first);
    if (labelIndex >= 0 && labelIndex == idIndex) {
      throw new DistillException("prepare.csv.label-column and prepare.csv.id-column both name "
          + "column " + labelIndex + " of " + first.getPath());
    }
    CsvRowParser parser = new CsvRowParser(csv.delimiter(), columns.size(), labelIndex, idIndex,
        classCount);
    if (parser.featureCount() == 0) {
      throw new DistillException("file " + first.getPath() + " has no feature columns");
    }

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    String paths = String.join(",", files.stream().map(f -> f.getPath().toString()).toList());
    JavaNewHadoopRDD<LongWritable, Text> lines = (JavaNewHadoopRDD<LongWritable, Text>)
        jsc.newAPIHadoopFile(paths, TextInputFormat.class, LongWritable.class, Text.class, conf);
    boolean header = csv.header();
    JavaRDD<Row> rows = lines.mapPartitionsWithInputSplit(
        (inputSplit, it) -> parse(inputSplit, it, parser, header, split), true);
    List<Integer> shape = List.of(parser.featureCount());
    return new SourceRows(ParsedRows.dataset(spark, rows), shape, idIndex >= 0);
  }

  private static List<String> columns(List<String> firstLine, boolean header) {
    return header ? firstLine.stream().map(String::trim).toList()
        : IntStream.range(0, firstLine.size()).mapToObj(Integer::toString).toList();
  }

  private static int index(Optional<ColumnRef> ref, String key, List<String> columns,
      FileStatus file) {
    if (ref.isEmpty()) {
      return -1;
    }
    return ref.get().resolve(columns).orElseThrow(() -> new DistillException(
        key + " = '" + ref.get() + "' is not a column of " + file.getPath() + "; it has "
            + (columns.size() > 12 ? columns.size() + " columns" : "columns " + columns)));
  }

  private static Iterator<Row> parse(InputSplit inputSplit,
      Iterator<Tuple2<LongWritable, Text>> lines, CsvRowParser parser, boolean header,
      Split split) {
    String prefix = split.value() + "/" + ((FileSplit) inputSplit).getPath().getName() + ":";
    return new Iterator<>() {
      private Row next = advance();

      private Row advance() {
        while (lines.hasNext()) {
          Tuple2<LongWritable, Text> line = lines.next();
          long offset = line._1().get();
          String text = line._2().toString();
          if ((header && offset == 0) || text.isBlank()) {
            continue;
          }
          return ParsedRows.toRow(parser.parse(text, prefix + offset), split);
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Row next() {
        Row current = next;
        next = advance();
        return current;
      }
    };
  }
}
