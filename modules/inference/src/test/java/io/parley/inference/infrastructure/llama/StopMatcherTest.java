package io.parley.inference.infrastructure.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

  @Test
  void holdsBackAPossibleStopPrefixAndReleasesItWhenItDiverges() {
    StopMatcher m = new StopMatcher(List.of("END"));
    assertEquals(new StopMatcher.Result("abc ", false), m.append("abc E"));
    assertEquals("E", m.held());
    assertEquals(new StopMatcher.Result("", false), m.append("N"));
    assertEquals(new StopMatcher.Result("ENx", false), m.append("x"));
    assertEquals("", m.held());
  }

  @Test
  void stopAcrossPiecesTruncatesAndStops() {
    StopMatcher m = new StopMatcher(List.of("\n\n", "The end"));
    StringBuilder out = new StringBuilder();
    StopMatcher.Result r = null;
    for (String piece : List.of("Once", " upon", " a", " time", ".", " The", " en", "d", " more")) {
      r = m.append(piece);
      out.append(r.emit());
      if (r.stopped()) {
        break;
      }
    }
    assertTrue(r.stopped());
    assertEquals("Once upon a time. ", out.toString());
  }

  @Test
  void earliestStopWins() {
    StopMatcher m = new StopMatcher(List.of("c", "ab"));
    assertEquals(new StopMatcher.Result("x", true), m.append("xabc"));
  }

  @Test
  void flushReturnsHeldText() {
    StopMatcher m = new StopMatcher(List.of("stop"));
    assertEquals(new StopMatcher.Result("a ", false), m.append("a sto"));
    assertEquals("sto", m.flush());
    assertEquals("", m.held());
  }

  @Test
  void withoutStopsEverythingPassesThrough() {
    StopMatcher m = new StopMatcher(List.of(""));
    StopMatcher.Result r = m.append("anything");
    assertEquals("anything", r.emit());
    assertFalse(r.stopped());
  }
}
