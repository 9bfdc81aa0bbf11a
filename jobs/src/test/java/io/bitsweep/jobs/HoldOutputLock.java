package io.bitsweep.jobs;

/**
 * Takes the output lock of the folder given as the only argument, prints {@code locked} and
 * sleeps until killed, for the test that a killed holder releases the lock.
 */
final class HoldOutputLock {
  private HoldOutputLock() {}

  public static void main(String[] args) throws InterruptedException {
    OutputLock.acquire(args[0], "test holder");
    System.out.println("locked");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
