package io.bitsweep;

/** Counts in messages and progress lines, with their noun in the singular or the plural. */
public final class Counts {
  private Counts() {}

  /**
   * Returns the count and the noun, such as {@code "1 shard"} or {@code "4 shards"}. The plural adds
   * an "s", which suits every noun the messages count.
   */
  public static String of(long count, String noun) {
    return count + " " + (count == 1 ? noun : noun + "s");
  }
}
