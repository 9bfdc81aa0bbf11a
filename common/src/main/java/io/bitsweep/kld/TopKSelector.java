package io.bitsweep.kld;

/**
 * Partial selection of the k largest logits of a row with a size-k min-heap, without sorting the
 * row. Order: larger logit first, and for equal logits the lower token id first.
 */
final class TopKSelector {
  private TopKSelector() {}

  /**
   * Returns the ids of the k best tokens, best first. The row must already be validated (no NaN),
   * and {@code 1 <= k <= vocab}.
   */
  static int[] select(float[] logits, int offset, int vocab, int k) {
    int[] heap = new int[k];
    for (int i = 0; i < k; i++) {
      heap[i] = i;
    }
    for (int i = k / 2 - 1; i >= 0; i--) {
      siftDown(logits, offset, heap, i, k);
    }

    // The root is the worst kept token. A later token with an equal logit has a higher id, so it
    // is worse, and only a strictly larger logit can enter the heap.
    float rootValue = logits[offset + heap[0]];
    for (int i = k; i < vocab; i++) {
      if (logits[offset + i] > rootValue) {
        heap[0] = i;
        siftDown(logits, offset, heap, 0, k);
        rootValue = logits[offset + heap[0]];
      }
    }

    // Heap sort: moving the worst to the end each time leaves the best at index 0.
    for (int end = k - 1; end > 0; end--) {
      int worst = heap[0];
      heap[0] = heap[end];
      heap[end] = worst;
      siftDown(logits, offset, heap, 0, end);
    }
    return heap;
  }

  private static void siftDown(float[] logits, int offset, int[] heap, int index, int size) {
    int current = index;
    while (true) {
      int left = 2 * current + 1;
      if (left >= size) {
        return;
      }
      int worstChild = left;
      int right = left + 1;
      if (right < size && isWorse(logits, offset, heap[right], heap[left])) {
        worstChild = right;
      }
      if (!isWorse(logits, offset, heap[worstChild], heap[current])) {
        return;
      }
      int swap = heap[current];
      heap[current] = heap[worstChild];
      heap[worstChild] = swap;
      current = worstChild;
    }
  }

  /**
   * Returns whether token a ranks below token b: a smaller logit, or an equal logit and larger id.
   */
  private static boolean isWorse(float[] logits, int offset, int a, int b) {
    float valueA = logits[offset + a];
    float valueB = logits[offset + b];
    return valueA < valueB || (valueA == valueB && a > b);
  }
}
