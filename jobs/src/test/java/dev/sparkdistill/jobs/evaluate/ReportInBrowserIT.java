package dev.sparkdistill.jobs.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkdistill.common.evaluate.EvaluationReport;
import dev.sparkdistill.common.evaluate.EvaluationReport.ModelReport;
import dev.sparkdistill.common.evaluate.ReportHtml;
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
 * Opens report.html in headless Chromium (Debian's chromium, which mvn -B verify installs when it may), offline,
 * and checks that the browser builds the table and every chart, and paints them.
 */
class ReportInBrowserIT {
  private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM",
      "/usr/bin/chromium"));

  @TempDir
  Path tmp;

  @BeforeAll
  static void chromiumIsInstalled() {
    assertThat(CHROMIUM).as("headless Chromium: apt-get install chromium (mvn -B verify installs it when it may)")
        .exists();
  }

  private static EvaluationReport report() {
    double[][] reliability = new double[15][];
    for (int b = 0; b < 15; b++) {
      reliability[b] = b < 5 ? new double[] {0, Double.NaN, Double.NaN}
          : new double[] {10 + b, (b + 0.5) / 15, Math.min(1, (b + 1.0) / 15)};
    }
    List<ModelReport> models = new ArrayList<>();
    for (String name : List.of("teacher", "distilled", "baseline")) {
      models.add(new ModelReport(name, name + ".zip", 1000, 4000, 0.9, 0.99, 0.3, 0.02,
          name.equals("teacher") ? 1.0 : 0.9, name.equals("teacher") ? 0.0 : 0.1, 5000, 0.5, "onnxruntime",
          name.equals("teacher") ? null : 0.25, name.equals("teacher") ? null : 4.0,
          new double[] {0.9, 0.8}, new long[][] {{9, 1}, {2, 8}}, reliability));
    }
    return new EvaluationReport("examples", "test", 20, List.of("a", "b"), 2, 15,
        "2026-01-01T00:00:00Z", models);
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
    assertThat(count(dom, "<svg")).isEqualTo(4);
    assertThat(count(dom, "class=\"bar\"")).isEqualTo(3 + 3 * 10);
    assertThat(dom).contains("<figcaption>distilled</figcaption>");
  }

  @Test
  void theChartsArePainted() throws Exception {
    Path html = tmp.resolve("report.html");
    Files.writeString(html, ReportHtml.render(report()));
    Path png = tmp.resolve("report.png");

    chromium("--window-size=1200,900", "--screenshot=" + png, html.toUri().toString());

    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1200);
    long blue = 0;
    long orange = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xffffff;
        blue += rgb == 0x4a7fb5 ? 1 : 0;
        orange += rgb == 0xe08a3c ? 1 : 0;
      }
    }
    assertThat(blue).as("accuracy bars painted").isGreaterThan(5000);
    assertThat(orange).as("reliability bars painted").isGreaterThan(5000);
  }
}
