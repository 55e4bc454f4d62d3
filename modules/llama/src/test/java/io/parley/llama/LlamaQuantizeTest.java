package io.parley.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** ggml's quantizer through the binding: F16 and Q8_0 bytes as ggml defines them. */
class LlamaQuantizeTest {

  @Test
  void f16RowsAreHalfFloats() {
    LlamaLibrary lib = LlamaLibrary.load(Optional.empty());
    float[] values = {0f, 1f, -2.5f, 65504f, 1e-3f, 3.14159f};
    byte[] out = lib.quantize(1, values, 2, 3);
    assertEquals(12, out.length);
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      assertEquals(
          Float.float16ToFloat(Float.floatToFloat16(v)), Float.float16ToFloat(b.getShort()));
    }
  }

  @Test
  void q8BlocksAreScaleAndSignedBytes() {
    LlamaLibrary lib = LlamaLibrary.load(Optional.empty());
    float[] values = new float[64];
    for (int i = 0; i < values.length; i++) {
      values[i] = (i - 20) * 0.37f;
    }
    byte[] out = lib.quantize(8, values, 1, 64);
    assertEquals(2 * 34, out.length);
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    for (int block = 0; block < 2; block++) {
      float amax = 0;
      for (int j = 0; j < 32; j++) {
        amax = Math.max(amax, Math.abs(values[block * 32 + j]));
      }
      float d = amax / 127f;
      assertEquals(
          Float.float16ToFloat(Float.floatToFloat16(d)), Float.float16ToFloat(b.getShort()));
      byte[] q = new byte[32];
      byte[] expected = new byte[32];
      b.get(q);
      float id = 1f / d;
      for (int j = 0; j < 32; j++) {
        float x = values[block * 32 + j] * id; // roundf: halves away from zero
        expected[j] = (byte) (Math.signum(x) * Math.round(Math.abs(x)));
      }
      assertArrayEquals(expected, q);
    }
  }
}
