package io.parley.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * LoRA adapters for the stories260K test model in the GGUF form llama.cpp b4916 loads ({@code
 * general.type = adapter}, {@code adapter.type = lora}, F32 {@code W.lora_a} of ggml shape {@code
 * [in, r]} and {@code W.lora_b} of shape {@code [r, out]}), with deterministic pseudo-random
 * weights large enough to change greedy output: a test fixture, not a trained adapter.
 */
public final class TestAdapters {

  private static final int DIM = 64;
  private static final int KV_DIM = 32;
  private static final int BLOCKS = 5;
  private static final int RANK = 4;
  private static final int ALIGNMENT = 32;

  private TestAdapters() {}

  /**
   * Writes an adapter over every attention projection of stories260K.
   *
   * @param seed the weights' seed (different seeds give different adapters)
   * @param scale standard deviation of the weights
   */
  public static Path write(Path target, long seed, double scale) {
    var random = new SplittableRandom(seed);
    var tensors = new ArrayList<Tensor>();
    for (int block = 0; block < BLOCKS; block++) {
      for (String name : List.of("attn_q", "attn_k", "attn_v", "attn_output")) {
        int out = name.equals("attn_k") || name.equals("attn_v") ? KV_DIM : DIM;
        String base = "blk." + block + "." + name + ".weight";
        tensors.add(new Tensor(base + ".lora_a", DIM, RANK, values(random, DIM * RANK, scale)));
        tensors.add(new Tensor(base + ".lora_b", RANK, out, values(random, RANK * out, scale)));
      }
    }
    try {
      Files.write(target, gguf(tensors, RANK));
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record Tensor(String name, long ne0, long ne1, float[] values) {}

  private static float[] values(SplittableRandom random, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    return v;
  }

  private static byte[] gguf(List<Tensor> tensors, float alpha) {
    var header = new Writer();
    header.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
    header.u32(3);
    header.u64(tensors.size());
    header.u64(4);
    header.string("general.architecture");
    header.u32(8);
    header.string("llama");
    header.string("general.type");
    header.u32(8);
    header.string("adapter");
    header.string("adapter.type");
    header.u32(8);
    header.string("lora");
    header.string("adapter.lora.alpha");
    header.u32(6);
    header.f32(alpha);
    long offset = 0;
    for (Tensor t : tensors) {
      header.string(t.name());
      header.u32(2);
      header.u64(t.ne0());
      header.u64(t.ne1());
      header.u32(0); // GGML_TYPE_F32
      header.u64(offset);
      offset = align(offset + 4L * t.values().length);
    }
    var data = new Writer();
    for (Tensor t : tensors) {
      for (float v : t.values()) {
        data.f32(v);
      }
      data.pad();
    }
    header.pad();
    var out = new ByteArrayOutputStream();
    out.writeBytes(header.bytes());
    out.writeBytes(data.bytes());
    return out.toByteArray();
  }

  private static long align(long n) {
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  private static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    void raw(byte[] b) {
      out.writeBytes(b);
    }

    void u32(int v) {
      out.write(buf.clear().putInt(v).array(), 0, 4);
    }

    void u64(long v) {
      out.write(buf.clear().putLong(v).array(), 0, 8);
    }

    void f32(float v) {
      out.write(buf.clear().putFloat(v).array(), 0, 4);
    }

    void string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      u64(b.length);
      raw(b);
    }

    void pad() {
      while (out.size() % ALIGNMENT != 0) {
        out.write(0);
      }
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
