package io.parley.inference.infrastructure.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FairQueueTest {

  @Test
  void organizationsTakeTurns() {
    FairQueue<String> q = new FairQueue<>(10);
    q.offer("a", "a1");
    q.offer("a", "a2");
    q.offer("a", "a3");
    q.offer("b", "b1");
    q.offer("c", "c1");
    q.offer("b", "b2");
    List<String> order = new ArrayList<>();
    while (!q.isEmpty()) {
      String next = q.peek();
      assertEquals(next, q.poll());
      order.add(next);
    }
    assertEquals(List.of("a1", "b1", "c1", "a2", "b2", "a3"), order);
    assertNull(q.poll());
  }

  @Test
  void boundedCapacity() {
    FairQueue<String> q = new FairQueue<>(2);
    assertTrue(q.offer("a", "1"));
    assertTrue(q.offer("b", "2"));
    assertFalse(q.offer("c", "3"));
    q.poll();
    assertTrue(q.offer("c", "3"));
  }

  @Test
  void removeIfKeepsTurnsConsistent() {
    FairQueue<String> q = new FairQueue<>(10);
    q.offer("a", "a1");
    q.offer("b", "b1");
    q.offer("a", "a2");
    assertEquals(List.of("b1"), q.removeIf(s -> s.startsWith("b")));
    assertEquals(2, q.size());
    assertEquals("a1", q.poll());
    assertEquals("a2", q.poll());
    assertTrue(q.isEmpty());
  }
}
