package io.bitsweep.notebook;

import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;

/**
 * Shows images in the notebook whose cell is running, as a Jupyter {@code display_data} message
 * with an {@code image/png} payload. The kernel turns a cell's value into text only, so a cell
 * shows a chart by calling one of these methods, for example {@code NotebookDisplay.chart(chart,
 * 900, 560);}. Images appear where the call happens, after the text the cell printed before it.
 *
 * <p>The methods work only inside {@link JShellKernel}, which connects them to Jupyter when it
 * starts.
 */
public final class NotebookDisplay {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final int IHDR_WIDTH_OFFSET = 16;

  private static volatile Consumer<DisplayData> sink;

  private NotebookDisplay() {}

  /**
   * Shows a chart rendered as a PNG of {@code width} by {@code height} pixels.
   *
   * @throws IllegalStateException when no notebook kernel runs in this JVM
   */
  public static void chart(JFreeChart chart, int width, int height) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Invalid chart size %dx%d: width and height must be positive pixels",
              width,
              height));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ChartUtils.writeChartAsPNG(out, chart, width, height);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot render the chart as PNG: " + e.getMessage(), e);
    }
    png(out.toByteArray());
  }

  /**
   * Shows an image, encoded as PNG.
   *
   * @throws IllegalStateException when no notebook kernel runs in this JVM
   */
  public static void image(RenderedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalArgumentException(
            "Cannot encode the image as PNG: ImageIO has no PNG writer for "
                + image.getClass().getName()
                + "; convert it to a BufferedImage of TYPE_INT_RGB first");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode the image as PNG: " + e.getMessage(), e);
    }
    png(out.toByteArray());
  }

  /**
   * Shows a PNG file's bytes.
   *
   * @throws IllegalArgumentException when the bytes do not start with the PNG signature
   * @throws IllegalStateException when no notebook kernel runs in this JVM
   */
  public static void png(byte[] png) {
    DisplayData data = pngData(png);
    Consumer<DisplayData> target = sink;
    if (target == null) {
      throw new IllegalStateException(
          "Cannot display the image: no notebook kernel runs in this JVM (NotebookDisplay works"
              + " in the bitsweep-java kernel); write the PNG to a file with Files.write instead");
    }
    // Send what the cell printed so far first, so that the image appears after it.
    System.out.flush();
    System.err.flush();
    target.accept(data);
  }

  /** Builds the display data of a PNG: the base64 image and a text description. */
  static DisplayData pngData(byte[] png) {
    if (png.length < IHDR_WIDTH_OFFSET + 8
        || !Arrays.equals(png, 0, PNG_SIGNATURE.length, PNG_SIGNATURE, 0, PNG_SIGNATURE.length)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Cannot display %d bytes as PNG: they do not start with the PNG signature;"
                  + " pass the bytes of a PNG file",
              png.length));
    }
    ByteBuffer header = ByteBuffer.wrap(png, IHDR_WIDTH_OFFSET, 8);
    int width = header.getInt();
    int height = header.getInt();
    DisplayData data =
        new DisplayData(String.format(Locale.ROOT, "PNG image, %dx%d pixels", width, height));
    data.putData(MIMEType.IMAGE_PNG, Base64.getEncoder().encodeToString(png));
    return data;
  }

  /** Sends displayed images to {@code target} from now on; the kernel calls it when it starts. */
  static void attach(Consumer<DisplayData> target) {
    sink = target;
  }

  /** Stops sending images; displaying then fails until the next {@link #attach}. */
  static void detach() {
    sink = null;
  }
}
