package io.parley.inference.infrastructure.llama;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns a stream of token byte pieces into text without ever splitting a UTF-8 character: bytes of
 * an incomplete trailing character are held back until the rest arrives. Malformed bytes become
 * U+FFFD.
 */
final class Utf8Accumulator {

  private byte[] pending = new byte[0];

  /** Appends bytes and returns the text of all characters completed by them. */
  String append(byte[] bytes) {
    byte[] all;
    if (pending.length == 0) {
      all = bytes;
    } else {
      all = Arrays.copyOf(pending, pending.length + bytes.length);
      System.arraycopy(bytes, 0, all, pending.length, bytes.length);
    }
    int cut = completePrefixLength(all);
    pending = Arrays.copyOfRange(all, cut, all.length);
    return new String(all, 0, cut, StandardCharsets.UTF_8);
  }

  /** Returns whatever is held back (as U+FFFD for an incomplete character) and resets. */
  String flush() {
    String text = new String(pending, StandardCharsets.UTF_8);
    pending = new byte[0];
    return text;
  }

  boolean hasPending() {
    return pending.length > 0;
  }

  /** Length of the longest prefix that does not end inside an incomplete multi-byte character. */
  static int completePrefixLength(byte[] bytes) {
    int len = bytes.length;
    for (int i = len - 1; i >= Math.max(0, len - 4); i--) {
      int b = bytes[i] & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // continuation byte: keep looking for the lead byte
      }
      int need;
      if ((b & 0xE0) == 0xC0) {
        need = 2;
      } else if ((b & 0xF0) == 0xE0) {
        need = 3;
      } else if ((b & 0xF8) == 0xF0) {
        need = 4;
      } else {
        need = 1;
      }
      return i + need > len ? i : len;
    }
    return len;
  }
}
