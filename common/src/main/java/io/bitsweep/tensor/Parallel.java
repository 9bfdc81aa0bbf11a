package io.bitsweep.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The engine's shared fork/join pool. Matrix products, attention heads and DeltaNet heads split
 * their work into index ranges and run them here, so nested calls from several threads (for example
 * several Spark tasks in one executor) share one set of workers instead of oversubscribing the
 * cores.
 */
public final class Parallel {
  /** System property that sets the worker count; defaults to the available processors. */
  public static final String THREADS_PROPERTY = "bitsweep.threads";

  private static final ForkJoinPool POOL = new ForkJoinPool(threadCount());

  private Parallel() {}

  private static int threadCount() {
    int cores = Runtime.getRuntime().availableProcessors();
    String value = System.getProperty(THREADS_PROPERTY);
    if (value == null || value.isBlank()) {
      return cores;
    }
    try {
      int threads = Integer.parseInt(value.trim());
      if (threads >= 1) {
        return threads;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException(
        "Invalid -D"
            + THREADS_PROPERTY
            + "="
            + value
            + ": expected a positive integer worker count");
  }

  /** Number of worker threads in the shared pool. */
  public static int parallelism() {
    return POOL.getParallelism();
  }

  /**
   * Runs {@code body.accept(i)} for every {@code i} in {@code [0, count)} on the shared pool and
   * returns when all are done. Indices run in no particular order, so each must write disjoint
   * outputs. A count of 1 runs on the calling thread.
   */
  public static void forEach(int count, IntConsumer body) {
    if (count <= 0) {
      return;
    }
    if (count == 1 || POOL.getParallelism() == 1) {
      for (int i = 0; i < count; i++) {
        body.accept(i);
      }
      return;
    }
    RangeTask task = new RangeTask(0, count, body);
    if (ForkJoinTask.getPool() == POOL) {
      task.invoke();
    } else {
      POOL.invoke(task);
    }
  }

  private static final class RangeTask extends RecursiveAction {
    private final int from;
    private final int to;
    private final IntConsumer body;

    RangeTask(int from, int to, IntConsumer body) {
      this.from = from;
      this.to = to;
      this.body = body;
    }

    @Override
    protected void compute() {
      if (to - from == 1) {
        body.accept(from);
        return;
      }
      int middle = (from + to) >>> 1;
      invokeAll(new RangeTask(from, middle, body), new RangeTask(middle, to, body));
    }
  }

  /** A body that handles the index range {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  /**
   * Splits {@code [0, count)} into blocks of {@code grain} indices (the last may be shorter) and
   * runs {@code body} on each block on the shared pool.
   */
  public static void forRange(int count, int grain, RangeBody body) {
    if (grain <= 0) {
      throw new IllegalArgumentException("grain must be positive, found " + grain);
    }
    int blocks = (count + grain - 1) / grain;
    forEach(blocks, block -> body.run(block * grain, Math.min(count, block * grain + grain)));
  }
}
