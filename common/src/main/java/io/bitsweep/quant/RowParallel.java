package io.bitsweep.quant;

import java.util.stream.IntStream;

/** Splits work over rows into ranges run on the common fork-join pool. */
final class RowParallel {
  /** Below this many elements a call runs on the calling thread. */
  static final int MIN_PARALLEL_ELEMENTS = 1 << 16;

  /** Elements per task, so that one task's work outweighs the scheduling cost. */
  private static final int ELEMENTS_PER_TASK = 1 << 15;

  private RowParallel() {}

  /** A task over rows {@code [from, to)}. */
  interface RangeTask {
    void run(int from, int to);
  }

  /** Runs {@code task} over all rows, in parallel ranges when the work is large enough. */
  static void forEachRange(int rowCount, int columns, RangeTask task) {
    long elements = (long) rowCount * columns;
    if (elements < MIN_PARALLEL_ELEMENTS || rowCount < 2) {
      task.run(0, rowCount);
      return;
    }
    int rowsPerTask = (int) Math.max(1, ELEMENTS_PER_TASK / Math.max(1, columns));
    int taskCount = (rowCount + rowsPerTask - 1) / rowsPerTask;
    IntStream.range(0, taskCount)
        .parallel()
        .forEach(
            t -> {
              int from = t * rowsPerTask;
              task.run(from, Math.min(rowCount, from + rowsPerTask));
            });
  }
}
