package dev.sparkdistill.jobs.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.sparkdistill.common.evaluate.Charts.colour;
import static dev.sparkdistill.common.evaluate.Charts.heat;

import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import dev.sparkdistill.common.evaluate.ReportHtml;
import dev.sparkdistill.common.evaluate.TrainingHistory;
import dev.sparkdistill.common.manifest.TrainingLogEntry;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens report.html in headless Chromium (Debian's chromium-headless-shell, which mvn -B verify
 * installs when it may, or the desktop chromium), offline, and checks that the browser builds the table and every chart, and paints them.
 */
class ReportInBrowserIT {
  private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM",
      Files.exists(Path.of("/usr/bin/chromium-headless-shell"))
          ? "/usr/bin/chromium-headless-shell" : "/usr/bin/chromium"));

  @TempDir
  Path tmp;

  @BeforeAll
  static void chromiumIsInstalled() {
    assertThat(CHROMIUM).as("headless Chromium: apt-get install chromium-headless-shell (mvn -B verify installs it when it may)")
        .exists();
  }

  private static final List<String> CLASSES = List.of("shirt", "coat", "bag");

  /** Three models, two with training logs, so every chart of the page has something to show. */
  private static EvaluationReport report() {
    double[][] reliability = new double[15][];
    for (int b = 0; b < 15; b++) {
      reliability[b] = b < 5 ? new double[] {0, Double.NaN, Double.NaN}
          : new double[] {10 + b, (b + 0.5) / 15, Math.min(1, (b + 1.0) / 15)};
    }
    List<ModelReport> models = new ArrayList<>();
    for (String name : List.of("teacher", "distilled", "baseline")) {
      boolean teacher = name.equals("teacher");
      List<TrainingLogEntry> log = new ArrayList<>();
      for (int e = 1; e <= 6; e++) {
        log.add(new TrainingLogEntry(e, 1.0 / e, 0.4 + 0.02 * Math.abs(e - 4), 0.8 + 0.01 * e,
            null, 100, 10, 1, e));
      }
      models.add(new ModelReport(name, name + ".zip", 1000, 4000, 0.9, 0.99, 0.3, 0.02,
          teacher ? 1.0 : 0.9, teacher ? 0.0 : 0.1, 5000, 0.5, "onnxruntime",
          teacher ? null : 0.25, teacher ? null : 4.0, new double[] {0.9, 0.8, 0.7},
          new long[][] {{90, 10, 0}, {20, 80, 0}, {0, 30, 70}}, reliability,
          name.equals("baseline") ? null : new TrainingHistory(4, log)));
    }
    return new EvaluationReport("examples", "test", 300, CLASSES, 2, 15,
        "2026-01-01T00:00:00Z", models, null);
  }

  private String chromium(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless",
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + tmp.resolve("profile")));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectError(tmp.resolve("chromium.log")
        .toFile()).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("chromium finished").isTrue();
    return out;
  }

  private static int count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void theBrowserBuildsTheTableAndEveryChart() throws Exception {
    Path html = tmp.resolve("report.html");
    Files.writeString(html, ReportHtml.render(report()));

    String dom = chromium("--dump-dom", html.toUri().toString());

    assertThat(count(dom, "<tr>")).isEqualTo(4);
    // training curves (3), accuracy (1), per class (1), confusion (3), reliability (3)
    assertThat(count(dom, "<svg")).isEqualTo(11);
    assertThat(count(dom, "class=\"series\"")).as("a line per trained model and metric")
        .isEqualTo(3 * 2);
    assertThat(count(dom, "class=\"best\"")).as("each trained model's kept epoch, ringed")
        .isEqualTo(3 * 2);
    assertThat(count(dom, "class=\"class-bar\"")).isEqualTo(3 * 3);
    assertThat(count(dom, "class=\"cell\"")).isEqualTo(3 * 9);
    assertThat(count(dom, "class=\"bar\"")).isEqualTo(3 + 3 * 10);
    assertThat(dom).contains("<figcaption>distilled</figcaption>")
        .contains("<title>true bag, predicted coat: 30 rows (30.0% of bag)</title>");
  }

  @Test
  void theChartsArePainted() throws Exception {
    Path html = tmp.resolve("report.html");
    Files.writeString(html, ReportHtml.render(report()));
    Path png = tmp.resolve("report.png");

    chromium("--window-size=1200,3000", "--hide-scrollbars", "--screenshot=" + png,
        html.toUri().toString());

    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1200);
    java.util.Map<Integer, Long> pixels = new java.util.HashMap<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        pixels.merge(image.getRGB(x, y) & 0xffffff, 1L, Long::sum);
      }
    }
    int heat90 = Integer.parseInt(heat(0.9).substring(1), 16);
    int teacherColour = Integer.parseInt(colour(0).substring(1), 16);
    assertThat(pixels.getOrDefault(0x4a7fb5, 0L)).as("accuracy bars painted")
        .isGreaterThan(5000);
    assertThat(pixels.getOrDefault(0xe08a3c, 0L)).as("reliability bars, the distilled "
        + "model's bars and lines painted").isGreaterThan(5000);
    assertThat(pixels.getOrDefault(heat90, 0L)).as("the confusion matrices' 90% cells")
        .isGreaterThan(3 * 600);
    assertThat(pixels.getOrDefault(teacherColour, 0L)).as("the teacher's curves and bars")
        .isGreaterThan(1000);
  }
}
