package io.parley.trainer.gguf;

import io.parley.trainer.TrainerException;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a GGUF version 3 file: metadata, then tensor infos, then tensor data aligned to 32 bytes.
 * The file is written next to its target and renamed into place, so readers never see a partial
 * file.
 */
public final class GgufWriter {

  private static final int ALIGNMENT = 32;

  private record Tensor(String name, GgmlType type, long[] ne, byte[] data) {}

  private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
  private long kvCount;
  private final List<Tensor> tensors = new ArrayList<>();

  /** Adds metadata copied verbatim from another file ({@link GgufFile#rawMetadata()}). */
  public GgufWriter rawMetadata(byte[] bytes, long count) {
    kv.writeBytes(bytes);
    kvCount += count;
    return this;
  }

  public GgufWriter string(String key, String value) {
    key(key, 8);
    str(value);
    return this;
  }

  public GgufWriter f32(String key, float value) {
    key(key, 6);
    kv.writeBytes(le(4).putFloat(value).array());
    return this;
  }

  public GgufWriter u32(String key, int value) {
    key(key, 4);
    kv.writeBytes(le(4).putInt(value).array());
    return this;
  }

  /** Adds an F32 tensor; {@code values} are in ggml order ({@code ne[0]} varies fastest). */
  public GgufWriter f32Tensor(String name, long[] ne, float[] values) {
    ByteBuffer b = le(4 * values.length);
    for (float v : values) {
      b.putFloat(v);
    }
    return tensor(name, GgmlType.F32, ne, b.array());
  }

  public GgufWriter tensor(String name, GgmlType type, long[] ne, byte[] data) {
    long n = 1;
    for (long d : ne) {
      n *= d;
    }
    if (type.bytes(n) != data.length) {
      throw new TrainerException("tensor " + name + ": " + data.length + " bytes for " + n);
    }
    tensors.add(new Tensor(name, type, ne.clone(), data));
    return this;
  }

  public void write(Path target) {
    try {
      Path dir = target.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path temp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
      try {
        try (OutputStream raw = Files.newOutputStream(temp);
            BufferedOutputStream buf = new BufferedOutputStream(raw, 1 << 20)) {
          writeTo(buf);
        }
        Files.move(
            temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new TrainerException("cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private void writeTo(OutputStream out) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    head.writeBytes(
        le(24).putInt(0x46554747).putInt(3).putLong(tensors.size()).putLong(kvCount).array());
    head.writeBytes(kv.toByteArray());
    long offset = 0;
    for (Tensor t : tensors) {
      byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
      head.writeBytes(le(8).putLong(name.length).array());
      head.writeBytes(name);
      head.writeBytes(le(4).putInt(t.ne().length).array());
      for (long d : t.ne()) {
        head.writeBytes(le(8).putLong(d).array());
      }
      head.writeBytes(le(4).putInt(t.type().code()).array());
      head.writeBytes(le(8).putLong(offset).array());
      offset = align(offset + t.data().length);
    }
    DataOutputStream data = new DataOutputStream(out);
    data.write(head.toByteArray());
    long written = head.size();
    data.write(new byte[(int) (align(written) - written)]);
    for (Tensor t : tensors) {
      data.write(t.data());
      long pad = align(t.data().length) - t.data().length;
      data.write(new byte[(int) pad]);
    }
    data.flush();
  }

  private static long align(long n) {
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  private void key(String key, int type) {
    str(key);
    kv.writeBytes(le(4).putInt(type).array());
    kvCount++;
  }

  private void str(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    kv.writeBytes(le(8).putLong(bytes.length).array());
    kv.writeBytes(bytes);
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }
}
