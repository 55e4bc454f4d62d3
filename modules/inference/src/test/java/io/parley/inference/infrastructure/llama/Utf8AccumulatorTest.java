package io.parley.inference.infrastructure.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8AccumulatorTest {

  @Test
  void holdsBackIncompleteCharactersUntilComplete() {
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // E2 82 AC
    Utf8Accumulator acc = new Utf8Accumulator();
    assertEquals("a", acc.append(new byte[] {'a', euro[0]}));
    assertTrue(acc.hasPending());
    assertEquals("", acc.append(new byte[] {euro[1]}));
    assertEquals("€b", acc.append(new byte[] {euro[2], 'b'}));
    assertFalse(acc.hasPending());
  }

  @Test
  void fourByteCharactersSplitAcrossTokens() {
    byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
    Utf8Accumulator acc = new Utf8Accumulator();
    StringBuilder out = new StringBuilder();
    for (byte b : emoji) {
      String piece = acc.append(new byte[] {b});
      out.append(piece);
    }
    assertEquals("😀", out.toString());
  }

  @Test
  void everySplitOfMixedTextDecodesToTheSameText() {
    String text = "héllo wörld – 日本語 😀!";
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int split = 0; split <= bytes.length; split++) {
      Utf8Accumulator acc = new Utf8Accumulator();
      String a = acc.append(java.util.Arrays.copyOfRange(bytes, 0, split));
      String b = acc.append(java.util.Arrays.copyOfRange(bytes, split, bytes.length));
      assertEquals(text, a + b, "split at " + split);
      assertFalse(a.contains("\uFFFD"), "no replacement characters at split " + split);
    }
  }

  @Test
  void flushReplacesAnIncompleteTail() {
    Utf8Accumulator acc = new Utf8Accumulator();
    assertEquals("x", acc.append(new byte[] {'x', (byte) 0xE2, (byte) 0x82}));
    assertEquals("\uFFFD", acc.flush());
    assertFalse(acc.hasPending());
  }

  @Test
  void invalidBytesDoNotBlockTheStream() {
    Utf8Accumulator acc = new Utf8Accumulator();
    assertEquals("\uFFFDa", acc.append(new byte[] {(byte) 0x80, 'a'}));
  }
}
