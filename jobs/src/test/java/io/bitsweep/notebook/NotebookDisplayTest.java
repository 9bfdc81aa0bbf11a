package io.bitsweep.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NotebookDisplayTest {
  @AfterEach
  void detach() {
    NotebookDisplay.detach();
  }

  @Test
  void pngDataCarriesImageAndSize() throws IOException {
    byte[] png = png(new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB));

    DisplayData data = NotebookDisplay.pngData(png);

    assertThat(data.getData(MIMEType.TEXT_PLAIN)).isEqualTo("PNG image, 5x3 pixels");
    byte[] decoded = Base64.getDecoder().decode((String) data.getData(MIMEType.IMAGE_PNG));
    assertThat(decoded).isEqualTo(png);
  }

  @Test
  void nonPngBytesRaise() {
    byte[] jpegStart = {
      (byte) 0xff,
      (byte) 0xd8,
      (byte) 0xff,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0
    };

    assertThatThrownBy(() -> NotebookDisplay.pngData(jpegStart))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "Cannot display 24 bytes as PNG: they do not start with the PNG signature");
  }

  @Test
  void displayWithoutKernelRaises() throws IOException {
    byte[] png = png(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB));

    assertThatThrownBy(() -> NotebookDisplay.png(png))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no notebook kernel runs in this JVM")
        .hasMessageContaining("write the PNG to a file");
  }

  @Test
  void cellImageReachesAttachedKernel() throws IOException {
    List<DisplayData> displayed = new ArrayList<>();
    NotebookDisplay.attach(displayed::add);

    try (JShellKernel kernel = JShellKernel.create()) {
      kernel.evalRaw(
          "var image = new java.awt.image.BufferedImage(4, 3,"
              + " java.awt.image.BufferedImage.TYPE_INT_RGB);\n"
              + "image.setRGB(1, 2, 0xff8800);\n"
              + "io.bitsweep.notebook.NotebookDisplay.image(image);");
    }

    assertThat(displayed).as("display messages sent by the cell").hasSize(1);
    String base64 = (String) displayed.get(0).getData(MIMEType.IMAGE_PNG);
    BufferedImage decoded =
        ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    assertThat(decoded.getWidth()).isEqualTo(4);
    assertThat(decoded.getHeight()).isEqualTo(3);
    assertThat(decoded.getRGB(1, 2) & 0xffffff).as("the pixel the cell set").isEqualTo(0xff8800);
  }

  private static byte[] png(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
