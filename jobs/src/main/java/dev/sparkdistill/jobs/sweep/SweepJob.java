package dev.sparkdistill.jobs.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.sparkdistill.common.config.ConfigLayers;
import dev.sparkdistill.common.config.EvaluateConfig;
import dev.sparkdistill.common.config.Settings;
import dev.sparkdistill.common.config.SweepConfig;
import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import dev.sparkdistill.common.evaluate.SweepHtml;
import dev.sparkdistill.common.evaluate.SweepReport;
import dev.sparkdistill.common.manifest.ManifestJson;
import dev.sparkdistill.common.manifest.TargetsManifest;
import dev.sparkdistill.jobs.evaluate.EvaluateJob;
import dev.sparkdistill.jobs.io.HadoopFiles;
import dev.sparkdistill.jobs.io.OutputDirectory;
import dev.sparkdistill.jobs.train.TrainJob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code sweep} job: one student per temperature and alpha of the grid, all trained from the
 * same targets table (the teacher is not run again), then evaluated together on one split.
 *
 * <p>Operational facts: students are trained one after another, each with the whole cluster;
 * each skips itself when already complete for the same input and config, so widening the grid
 * trains only the new points. {@code sweep.json} and {@code sweep.html} are rewritten last.
 */
public final class SweepJob {
  private static final Logger LOG = LoggerFactory.getLogger(SweepJob.class);
  static final String SWEEP_JSON = "sweep.json";
  static final String SWEEP_HTML = "sweep.html";

  private final SweepConfig config;

  public SweepJob(SweepConfig config) {
    this.config = config;
  }

  public SweepReport run(SparkSession spark) {
    List<SweepConfig.Point> points = config.points();
    for (int i = 0; i < points.size(); i++) {
      SweepConfig.Point point = points.get(i);
      LOG.info("sweep: student {} of {}: {} (T = {}, alpha = {})", i + 1, points.size(),
          point.name(), point.temperature(), point.alpha());
      new TrainJob(point.train()).run(spark);
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    EvaluationReport evaluation = new EvaluateJob(evaluateConfig(conf)).evaluate(spark);
    SweepReport report = SweepReport.of(config.input(), evaluation.split(), evaluation.rows(),
        evaluation.createdAt(), entries(evaluation));
    Path out = new Path(config.output());
    HadoopFiles.writeText(new Path(out, SWEEP_JSON), ManifestJson.write(report), conf);
    HadoopFiles.writeText(new Path(out, SWEEP_HTML), SweepHtml.render(report), conf);
    LOG.info("sweep complete at {}:\n{}", new Path(out, SWEEP_HTML), report.table());
    return report;
  }

  private List<SweepReport.Entry> entries(EvaluationReport evaluation) {
    Map<String, ModelReport> byName = new java.util.HashMap<>();
    evaluation.models().forEach(m -> byName.put(m.name(), m));
    List<SweepReport.Entry> entries = new ArrayList<>();
    for (SweepConfig.Point point : config.points()) {
      ModelReport m = byName.get(point.name());
      entries.add(new SweepReport.Entry(point.name(), point.temperature(), point.alpha(),
          m.accuracy(), m.teacherAgreement(), m.ece(), m.nll(), m.training()));
    }
    return entries;
  }

  /** Every student of the grid, and the teacher when known, on the configured split. */
  private EvaluateConfig evaluateConfig(Configuration conf) {
    List<String> models = config.points().stream()
        .map(p -> p.name() + "=" + p.train().output() + "/model.zip").toList();
    Config evaluate = ConfigLayers.reference()
        .withValue("evaluate.input", ConfigValueFactory.fromAnyRef(config.input()))
        .withValue("evaluate.output", ConfigValueFactory.fromAnyRef(config.output() + "/report"))
        .withValue("evaluate.mode", ConfigValueFactory.fromAnyRef(
            Settings.spelling(config.mode())))
        .withValue("evaluate.split", ConfigValueFactory.fromAnyRef(config.split().value()))
        .withValue("evaluate.teacher", ConfigValueFactory.fromAnyRef(teacher(conf)))
        .withValue("evaluate.models", ConfigValueFactory.fromIterable(models));
    return EvaluateConfig.from(evaluate);
  }

  /** sweep.teacher, else the targets table's only teacher; "" leaves agreement out. */
  private String teacher(Configuration conf) {
    if (!config.teacher().isEmpty()) {
      return config.teacher();
    }
    OutputDirectory input = new OutputDirectory(config.input(), conf);
    TargetsManifest targets = ManifestJson.read(HadoopFiles.readText(
        input.child(OutputDirectory.MANIFEST).toString(), conf), TargetsManifest.class,
        config.input());
    if (targets.teachers() == null || targets.teachers().size() != 1) {
      LOG.info("sweep: {} was scored by {} teachers; give sweep.teacher to measure agreement",
          config.input(), targets.teachers() == null ? 0 : targets.teachers().size());
      return "";
    }
    return targets.teachers().get(0).path();
  }
}
