package io.bitsweep.notebook;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * Draws a grid of numbers as a heatmap image, with one row per row label and one column per column
 * label. Each cell is colored by its value on a log scale, light for small values and dark red for
 * large ones, and shows the value as text. A NaN cell is missing and drawn gray with a dash. Values
 * at or below zero take the lightest color, because a log scale cannot place them.
 */
public final class Heatmap {
  private static final int CELL_WIDTH = 96;
  private static final int CELL_HEIGHT = 30;
  private static final int MARGIN = 16;
  private static final int LEGEND_HEIGHT = 14;
  private static final Color MISSING = new Color(225, 225, 225);
  private static final Color[] SCALE = {
    new Color(255, 247, 236), new Color(252, 141, 89), new Color(127, 0, 0)
  };

  private Heatmap() {}

  /**
   * Renders the heatmap.
   *
   * @param values {@code values[row][column]}, NaN where a cell is missing
   * @param valueFormat the {@link String#format} pattern of the printed values, such as {@code
   *     "%.4f"}
   * @throws IllegalArgumentException when {@code values} does not have one row per row label and
   *     one column per column label
   */
  public static BufferedImage render(
      String title,
      List<String> rowLabels,
      List<String> columnLabels,
      double[][] values,
      String valueFormat) {
    checkShape(rowLabels, columnLabels, values);
    Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    int labelWidth = maxTextWidth(labelFont, rowLabels) + 12;
    int gridLeft = MARGIN + labelWidth;
    int gridTop = MARGIN + 2 * CELL_HEIGHT;
    int width = gridLeft + columnLabels.size() * CELL_WIDTH + MARGIN;
    int height = gridTop + rowLabels.size() * CELL_HEIGHT + 2 * MARGIN + 2 * LEGEND_HEIGHT;
    width = Math.max(width, maxTextWidth(titleFont, List.of(title)) + 2 * MARGIN);

    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      g.setColor(Color.BLACK);
      g.setFont(titleFont);
      g.drawString(title, MARGIN, MARGIN + g.getFontMetrics().getAscent());

      g.setFont(labelFont);
      LogScale scale = LogScale.of(values);
      drawLabels(g, rowLabels, columnLabels, gridLeft, gridTop);
      drawCells(g, values, valueFormat, scale, gridLeft, gridTop);
      drawLegend(g, scale, valueFormat, gridLeft, gridTop + rowLabels.size() * CELL_HEIGHT);
    } finally {
      g.dispose();
    }
    return image;
  }

  private static void checkShape(
      List<String> rowLabels, List<String> columnLabels, double[][] values) {
    if (values.length != rowLabels.size()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Heatmap values have %d rows but there are %d row labels; pass one row per label",
              values.length,
              rowLabels.size()));
    }
    for (int r = 0; r < values.length; r++) {
      if (values[r].length != columnLabels.size()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Heatmap row %d (%s) has %d values but there are %d column labels;"
                    + " pass one value per column (NaN where missing)",
                r,
                rowLabels.get(r),
                values[r].length,
                columnLabels.size()));
      }
    }
  }

  private static void drawLabels(
      Graphics2D g, List<String> rowLabels, List<String> columnLabels, int left, int top) {
    FontMetrics metrics = g.getFontMetrics();
    g.setColor(Color.BLACK);
    for (int c = 0; c < columnLabels.size(); c++) {
      String label = columnLabels.get(c);
      int x = left + c * CELL_WIDTH + (CELL_WIDTH - metrics.stringWidth(label)) / 2;
      g.drawString(label, x, top - metrics.getDescent() - 6);
    }
    for (int r = 0; r < rowLabels.size(); r++) {
      g.drawString(rowLabels.get(r), MARGIN, baseline(metrics, top + r * CELL_HEIGHT));
    }
  }

  private static void drawCells(
      Graphics2D g, double[][] values, String valueFormat, LogScale scale, int left, int top) {
    FontMetrics metrics = g.getFontMetrics();
    for (int r = 0; r < values.length; r++) {
      for (int c = 0; c < values[r].length; c++) {
        double value = values[r][c];
        int x = left + c * CELL_WIDTH;
        int y = top + r * CELL_HEIGHT;
        Color fill = Double.isNaN(value) ? MISSING : color(scale.position(value));
        g.setColor(fill);
        g.fillRect(x, y, CELL_WIDTH, CELL_HEIGHT);
        g.setColor(Color.WHITE);
        g.drawRect(x, y, CELL_WIDTH, CELL_HEIGHT);
        String text = Double.isNaN(value) ? "-" : String.format(Locale.ROOT, valueFormat, value);
        g.setColor(isDark(fill) ? Color.WHITE : Color.BLACK);
        g.drawString(text, x + (CELL_WIDTH - metrics.stringWidth(text)) / 2, baseline(metrics, y));
      }
    }
  }

  /** Draws the color scale under the grid, labelled with its two ends. */
  private static void drawLegend(
      Graphics2D g, LogScale scale, String valueFormat, int left, int gridBottom) {
    int top = gridBottom + MARGIN;
    int barWidth = 3 * CELL_WIDTH;
    for (int x = 0; x < barWidth; x++) {
      g.setColor(color(x / (double) (barWidth - 1)));
      g.fillRect(left + x, top, 1, LEGEND_HEIGHT);
    }
    FontMetrics metrics = g.getFontMetrics();
    g.setColor(Color.BLACK);
    String low = String.format(Locale.ROOT, valueFormat, scale.min());
    String high = String.format(Locale.ROOT, valueFormat, scale.max()) + " (log scale)";
    int textY = top + LEGEND_HEIGHT + metrics.getAscent() + 2;
    g.drawString(low, left, textY);
    g.drawString(high, left + barWidth - metrics.stringWidth(high), textY);
  }

  private static int baseline(FontMetrics metrics, int cellTop) {
    return cellTop + (CELL_HEIGHT + metrics.getAscent() - metrics.getDescent()) / 2;
  }

  private static int maxTextWidth(Font font, List<String> texts) {
    BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scratch.createGraphics();
    try {
      FontMetrics metrics = g.getFontMetrics(font);
      return texts.stream().mapToInt(metrics::stringWidth).max().orElse(0);
    } finally {
      g.dispose();
    }
  }

  /** Returns the color at {@code position} in [0, 1] along the scale's stops. */
  static Color color(double position) {
    double scaled = Math.max(0, Math.min(1, position)) * (SCALE.length - 1);
    int stop = Math.min((int) scaled, SCALE.length - 2);
    double t = scaled - stop;
    Color from = SCALE[stop];
    Color to = SCALE[stop + 1];
    return new Color(
        (int) Math.round(from.getRed() + t * (to.getRed() - from.getRed())),
        (int) Math.round(from.getGreen() + t * (to.getGreen() - from.getGreen())),
        (int) Math.round(from.getBlue() + t * (to.getBlue() - from.getBlue())));
  }

  private static boolean isDark(Color color) {
    double luminance =
        (0.299 * color.getRed() + 0.587 * color.getGreen() + 0.114 * color.getBlue()) / 255;
    return luminance < 0.5;
  }

  /**
   * Maps values to [0, 1] by their logarithm between the smallest and largest positive values.
   *
   * @param min the smallest positive value, or NaN when there is none
   * @param max the largest positive value, or NaN when there is none
   */
  record LogScale(double min, double max) {
    static LogScale of(double[][] values) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (double[] row : values) {
        for (double value : row) {
          if (value > 0 && Double.isFinite(value)) {
            min = Math.min(min, value);
            max = Math.max(max, value);
          }
        }
      }
      return min > max ? new LogScale(Double.NaN, Double.NaN) : new LogScale(min, max);
    }

    /** Returns 0 for the smallest value (and for zero or less), 1 for the largest. */
    double position(double value) {
      if (!(value > 0) || Double.isNaN(min)) {
        return 0;
      }
      if (max == min) {
        return 0.5;
      }
      return (Math.log(value) - Math.log(min)) / (Math.log(max) - Math.log(min));
    }
  }
}
