package io.bitsweep.jobs;

import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of a long step as {@code i/N} with elapsed time and an ETA, logged to the {@code
 * bitsweep.progress} logger, which the console shows even when Spark's INFO log goes to a file.
 */
public final class Progress {
  /** Logger whose lines reach the console; one line per step and per unit of sweep work. */
  public static final Logger LOG = LoggerFactory.getLogger("bitsweep.progress");

  private final String step;
  private final long total;
  private final long startNanos;
  private long done;

  public Progress(String step, long total) {
    this.step = step;
    this.total = total;
    this.startNanos = System.nanoTime();
  }

  /** Records {@code count} more finished units and logs the new position. */
  public synchronized void advance(long count, String detail) {
    done += count;
    LOG.info("{}", line(detail));
  }

  /** Returns the progress line for the current position. */
  public synchronized String line(String detail) {
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    String eta =
        done == 0 || done >= total ? "" : " ETA " + format(elapsed / done * (total - done));
    return String.format(
        Locale.ROOT,
        "%s: %d/%d (%.0f%%) %s elapsed%s%s",
        step,
        done,
        total,
        total == 0 ? 100.0 : 100.0 * done / total,
        format(elapsed),
        eta,
        detail == null || detail.isEmpty() ? "" : " - " + detail);
  }

  /** Formats seconds as {@code 1h02m03s}, {@code 2m03s} or {@code 3.4s}. */
  public static String format(double seconds) {
    if (seconds < 60) {
      return String.format(Locale.ROOT, "%.1fs", seconds);
    }
    Duration d = Duration.ofMillis((long) (seconds * 1000));
    if (d.toHours() > 0) {
      return String.format(Locale.ROOT, "%dh%02dm%02ds", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
    return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
  }
}
