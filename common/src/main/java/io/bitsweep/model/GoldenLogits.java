package io.bitsweep.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One reference case of a shared model's {@code golden/} folder: the token ids from {@code
 * NAME.json} and the logits of every position from {@code NAME.logits.bin} (little-endian float32,
 * row-major {@code [T, vocab]}), computed in float64 by an independent implementation. Tests
 * compare the Java forward pass, in process or through the CLI, with these values.
 */
public final class GoldenLogits {
  /** Absolute part of the bound |actual − golden| <= ABSOLUTE + RELATIVE·|golden| for fp32. */
  public static final double ABSOLUTE_TOLERANCE = 1e-3;

  /** Relative part of the same bound. */
  public static final double RELATIVE_TOLERANCE = 1e-4;

  private final String name;
  private final int[] ids;
  private final int vocab;
  private final float[] logits;
  private final int[] argmax;

  private GoldenLogits(String name, int[] ids, int vocab, float[] logits, int[] argmax) {
    this.name = name;
    this.ids = ids;
    this.vocab = vocab;
    this.logits = logits;
    this.argmax = argmax;
  }

  /**
   * Reads {@code NAME.json} and {@code NAME.logits.bin} from {@code goldenFolder}.
   *
   * @throws IllegalStateException when the logits file does not contain {@code T · vocab} values
   */
  public static GoldenLogits read(Path goldenFolder, String name) throws IOException {
    JsonNode meta = new ObjectMapper().readTree(goldenFolder.resolve(name + ".json").toFile());
    int[] ids = ints(meta.get("ids"));
    int vocab = meta.get("shape").get(1).asInt();
    Path logitsFile = goldenFolder.resolve(name + ".logits.bin");
    float[] logits = readFloat32(logitsFile);
    if (logits.length != (long) ids.length * vocab) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "Invalid golden file %s: it contains %d float32 values, expected %d x %d",
              logitsFile,
              logits.length,
              ids.length,
              vocab));
    }
    return new GoldenLogits(name, ids, vocab, logits, ints(meta.get("argmax")));
  }

  /** Reads a file of little-endian float32 values. */
  public static float[] readFloat32(Path file) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / 4];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  /** Returns the case name, such as {@code story}. */
  public String name() {
    return name;
  }

  /** Returns the token ids, starting with BOS. */
  public int[] ids() {
    return ids.clone();
  }

  /** Returns the vocabulary size, the length of one row. */
  public int vocab() {
    return vocab;
  }

  /** Returns the reference logits, row-major {@code [T, vocab]}. */
  public float[] logits() {
    return logits.clone();
  }

  /** Returns the reference's argmax of each row. */
  public int[] argmax() {
    return argmax.clone();
  }

  /**
   * Compares {@code actual}, row-major {@code [T, vocab]}, with the reference logits.
   *
   * @throws IllegalArgumentException when {@code actual} has another length
   */
  public Deviation compare(float[] actual) {
    if (actual.length != logits.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "Invalid logits to compare with golden %s: %d values, expected %d x %d",
              name,
              actual.length,
              ids.length,
              vocab));
    }
    double maxDiff = 0;
    double worstExcess = Double.NEGATIVE_INFINITY;
    int worstIndex = 0;
    for (int i = 0; i < logits.length; i++) {
      double diff = Math.abs(actual[i] - logits[i]);
      if (Double.isNaN(diff)) {
        // NaN fails every comparison, so it would otherwise never count as the worst element.
        diff = Double.POSITIVE_INFINITY;
      }
      maxDiff = Math.max(maxDiff, diff);
      double excess = diff - (ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.abs(logits[i]));
      if (excess > worstExcess) {
        worstExcess = excess;
        worstIndex = i;
      }
    }
    String summary =
        String.format(
            Locale.ROOT,
            "%s: max |diff| %.3e; worst element row %d token %d actual %.6f golden %.6f",
            name,
            maxDiff,
            worstIndex / vocab,
            worstIndex % vocab,
            actual[worstIndex],
            logits[worstIndex]);
    return new Deviation(maxDiff, worstExcess, summary);
  }

  /**
   * How far logits are from the reference.
   *
   * @param maxAbsDiff max |actual − golden| over all elements, infinite where one is NaN
   * @param worstExcess max of |actual − golden| minus the tolerance of that element, so a value
   *     at most 0 means every element is within tolerance
   * @param summary one line naming the case, the max difference and the worst element
   */
  public record Deviation(double maxAbsDiff, double worstExcess, String summary) {}

  private static int[] ints(JsonNode array) {
    int[] values = new int[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asInt();
    }
    return values;
  }
}
