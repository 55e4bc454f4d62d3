package io.parley.inference.infrastructure.llama;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A bounded queue that serves organizations round-robin: each organization has its own FIFO, and
 * the organizations that have waiting items take turns. Not thread-safe.
 */
final class FairQueue<T> {

  private final int capacity;
  private final Map<String, ArrayDeque<T>> byOrganization = new HashMap<>();
  private final ArrayDeque<String> turns = new ArrayDeque<>();
  private int size;

  FairQueue(int capacity) {
    this.capacity = capacity;
  }

  /** Adds an item at the end of its organization's FIFO; false when the queue is full. */
  boolean offer(String organization, T item) {
    if (size >= capacity) {
      return false;
    }
    byOrganization
        .computeIfAbsent(
            organization,
            o -> {
              turns.addLast(o);
              return new ArrayDeque<>();
            })
        .addLast(item);
    size++;
    return true;
  }

  /** The item whose turn it is, or null. */
  T peek() {
    String organization = turns.peekFirst();
    return organization == null ? null : byOrganization.get(organization).peekFirst();
  }

  /** Removes the item whose turn it is; its organization moves to the end of the turn order. */
  T poll() {
    String organization = turns.pollFirst();
    if (organization == null) {
      return null;
    }
    ArrayDeque<T> queue = byOrganization.get(organization);
    T item = queue.pollFirst();
    if (queue.isEmpty()) {
      byOrganization.remove(organization);
    } else {
      turns.addLast(organization);
    }
    size--;
    return item;
  }

  /** Removes and returns all items matching the predicate. */
  List<T> removeIf(Predicate<? super T> predicate) {
    List<T> removed = new ArrayList<>();
    for (Iterator<String> it = turns.iterator(); it.hasNext(); ) {
      String organization = it.next();
      ArrayDeque<T> queue = byOrganization.get(organization);
      for (Iterator<T> items = queue.iterator(); items.hasNext(); ) {
        T item = items.next();
        if (predicate.test(item)) {
          items.remove();
          removed.add(item);
          size--;
        }
      }
      if (queue.isEmpty()) {
        byOrganization.remove(organization);
        it.remove();
      }
    }
    return removed;
  }

  List<T> drain() {
    return removeIf(x -> true);
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }
}
