package io.bitsweep.jobs;

import io.bitsweep.kld.LeaderboardRow;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The size-versus-KLD chart of a leaderboard, with the Pareto front drawn as a line. */
final class ParetoChart {
  private static final double MIN_PLOTTED_KLD = 1e-6;

  private ParetoChart() {}

  /** Renders the chart as a 900x560 PNG. */
  static byte[] png(List<LeaderboardRow> rows, String modelName) {
    XYSeries all = new XYSeries("configurations", false, true);
    XYSeries front = new XYSeries("Pareto front", true, true);
    for (LeaderboardRow row : rows) {
      double megabytes = row.sizeBytes() / 1e6;
      // A log axis cannot show 0, so an exact match (bf16 everywhere) sits on the floor.
      double kld = Math.max(row.meanKld(), MIN_PLOTTED_KLD);
      all.add(megabytes, kld);
      if (row.pareto()) {
        front.add(megabytes, kld);
      }
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(all);
    data.addSeries(front);
    NumberAxis x = new NumberAxis("MLX model size (MB)");
    x.setAutoRangeIncludesZero(false);
    LogAxis y = new LogAxis("mean KLD vs bf16 (nats/token)");
    y.setSmallestValue(MIN_PLOTTED_KLD);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
    renderer.setSeriesLinesVisible(0, false);
    renderer.setSeriesPaint(0, new Color(70, 110, 180));
    renderer.setSeriesLinesVisible(1, true);
    renderer.setSeriesPaint(1, new Color(200, 60, 40));
    renderer.setSeriesStroke(1, new BasicStroke(2f));
    XYPlot plot = new XYPlot(data, x, y, renderer);
    JFreeChart chart = new JFreeChart("bitsweep: size vs KLD of " + modelName, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ChartUtils.writeChartAsPNG(out, chart, 900, 560);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot render the leaderboard chart: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }
}
