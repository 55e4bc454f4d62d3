package io.parley.trainer.gguf;

import io.parley.trainer.TrainerException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (version 2 or 3, little-endian) mapped read-only: its metadata and its tensors.
 * Tensors of type F32, F16, BF16 and Q8_0 can be read as floats; other types are listed but refused
 * when read.
 *
 * <p>Every length and offset read from the file is checked against the file size before it is used,
 * so a truncated or hostile file fails with a {@link TrainerException} instead of allocating
 * without bound.
 */
public final class GgufFile implements AutoCloseable {

  private static final int MAGIC = 0x46554747; // "GGUF" little-endian
  private static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort I16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble F64 =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** A tensor's name, type, dimensions (ggml order: {@code ne[0]} varies fastest) and offset. */
  public record TensorInfo(String name, GgmlType type, long[] ne, long offset) {
    public long elements() {
      long n = 1;
      for (long d : ne) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    }
  }

  private final Path path;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment data;
  private final Map<String, Object> metadata;
  private final Map<String, TensorInfo> tensors;
  private final long dataStart;
  private final long metadataEnd;
  private final long metadataCount;
  private long pos;

  private GgufFile(Path path) throws IOException {
    this.path = path;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
    }
    if (data.byteSize() < 24 || data.get(I32, 0) != MAGIC) {
      throw new TrainerException(path + " is not a GGUF file");
    }
    int version = data.get(I32, 4);
    if (version < 2 || version > 3) {
      throw new TrainerException(path + ": unsupported GGUF version " + version);
    }
    long nTensors = data.get(I64, 8);
    long nKv = data.get(I64, 16);
    if (nTensors < 0 || nKv < 0 || nTensors > data.byteSize() / 24 || nKv > data.byteSize() / 12) {
      throw new TrainerException(path + ": corrupt GGUF header");
    }
    pos = 24;
    Map<String, Object> kv = new LinkedHashMap<>();
    for (long i = 0; i < nKv; i++) {
      String key = readString();
      int type = readI32();
      kv.put(key, readValue(type, 0));
    }
    metadata = Collections.unmodifiableMap(kv);
    metadataEnd = pos;
    metadataCount = nKv;
    Map<String, TensorInfo> infos = new LinkedHashMap<>();
    for (long i = 0; i < nTensors; i++) {
      String name = readString();
      int nDims = readI32();
      if (nDims < 1 || nDims > 4) {
        throw new TrainerException(path + ": tensor " + name + " has " + nDims + " dimensions");
      }
      long[] ne = new long[nDims];
      for (int d = 0; d < nDims; d++) {
        ne[d] = readI64();
        if (ne[d] <= 0 || ne[d] > data.byteSize()) {
          throw new TrainerException(path + ": tensor " + name + " has a bad dimension");
        }
      }
      GgmlType type = GgmlType.of(readI32());
      long offset = readI64();
      infos.put(name, new TensorInfo(name, type, ne, offset));
    }
    tensors = Collections.unmodifiableMap(infos);
    long alignment = metadata.get("general.alignment") instanceof Number n ? n.longValue() : 32;
    if (alignment <= 0 || alignment > 1 << 20) {
      throw new TrainerException(path + ": bad general.alignment " + alignment);
    }
    dataStart = (pos + alignment - 1) / alignment * alignment;
    for (TensorInfo t : tensors.values()) {
      long end = dataStart + t.offset() + t.type().bytes(t.elements());
      if (t.offset() < 0 || end > data.byteSize()) {
        throw new TrainerException(path + ": tensor " + t.name() + " lies outside the file");
      }
    }
  }

  /** Opens and maps a GGUF file. */
  public static GgufFile open(Path path) {
    try {
      return new GgufFile(path);
    } catch (IOException e) {
      throw new TrainerException("cannot read " + path + ": " + e.getMessage(), e);
    } catch (IndexOutOfBoundsException e) {
      throw new TrainerException(path + ": truncated GGUF file", e);
    }
  }

  public Path path() {
    return path;
  }

  /** The metadata section's bytes exactly as stored (all key/value pairs). */
  public byte[] rawMetadata() {
    return data.asSlice(24, metadataEnd - 24).toArray(ValueLayout.JAVA_BYTE);
  }

  public long metadataCount() {
    return metadataCount;
  }

  /** A tensor's bytes exactly as stored. */
  public byte[] rawTensor(String name) {
    TensorInfo t =
        tensor(name).orElseThrow(() -> new TrainerException("tensor " + name + " not in " + path));
    return data.asSlice(dataStart + t.offset(), t.type().bytes(t.elements()))
        .toArray(ValueLayout.JAVA_BYTE);
  }

  /** All metadata: strings, boxed numbers and booleans, and lists for arrays. */
  public Map<String, Object> metadata() {
    return metadata;
  }

  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  public Optional<TensorInfo> tensor(String name) {
    return Optional.ofNullable(tensors.get(name));
  }

  public Optional<String> string(String key) {
    return metadata.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  public Optional<Long> integer(String key) {
    Object v = metadata.get(key);
    return v instanceof Number n && !(v instanceof Float) && !(v instanceof Double)
        ? Optional.of(n.longValue())
        : Optional.empty();
  }

  public Optional<Double> real(String key) {
    return metadata.get(key) instanceof Number n ? Optional.of(n.doubleValue()) : Optional.empty();
  }

  /** Reads a tensor as floats in row-major order of {@code ne} reversed (ggml order). */
  public float[] floats(String name) {
    TensorInfo t =
        tensor(name).orElseThrow(() -> new TrainerException("tensor " + name + " not in " + path));
    long n = t.elements();
    if (n > Integer.MAX_VALUE - 8) {
      throw new TrainerException("tensor " + name + " is too large");
    }
    float[] out = new float[(int) n];
    long base = dataStart + t.offset();
    switch (t.type()) {
      case F32 -> MemorySegment.copy(data, F32, base, out, 0, out.length);
      case F16 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = Float.float16ToFloat(data.get(I16, base + 2L * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = Float.intBitsToFloat((data.get(I16, base + 2L * i) & 0xFFFF) << 16);
        }
      }
      case Q8_0 -> {
        int blocks = out.length / 32;
        for (int b = 0; b < blocks; b++) {
          long at = base + 34L * b;
          float d = Float.float16ToFloat(data.get(I16, at));
          for (int j = 0; j < 32; j++) {
            out[b * 32 + j] = d * data.get(ValueLayout.JAVA_BYTE, at + 2 + j);
          }
        }
      }
      default ->
          throw new TrainerException(
              "tensor " + name + " has type " + t.type() + ", which the trainer cannot read");
    }
    return out;
  }

  private int readI32() {
    int v = data.get(I32, pos);
    pos += 4;
    return v;
  }

  private long readI64() {
    long v = data.get(I64, pos);
    pos += 8;
    return v;
  }

  private String readString() {
    long len = readI64();
    if (len < 0 || pos + len > data.byteSize()) {
      throw new TrainerException(path + ": corrupt string in GGUF metadata");
    }
    byte[] bytes = data.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
    pos += len;
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private Object readValue(int type, int depth) {
    return switch (type) {
      case 0 -> (int) data.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
      case 1 -> (int) data.get(ValueLayout.JAVA_BYTE, pos++);
      case 2 -> {
        int v = data.get(I16, pos) & 0xFFFF;
        pos += 2;
        yield v;
      }
      case 3 -> {
        int v = data.get(I16, pos);
        pos += 2;
        yield v;
      }
      case 4 -> Integer.toUnsignedLong(readI32());
      case 5 -> readI32();
      case 6 -> {
        float v = data.get(F32, pos);
        pos += 4;
        yield v;
      }
      case 7 -> data.get(ValueLayout.JAVA_BYTE, pos++) != 0;
      case 8 -> readString();
      case 9 -> {
        if (depth > 2) {
          throw new TrainerException(path + ": nested GGUF arrays too deep");
        }
        int elementType = readI32();
        long n = readI64();
        if (n < 0 || n > data.byteSize() - pos) {
          throw new TrainerException(path + ": corrupt GGUF array");
        }
        List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
        for (long i = 0; i < n; i++) {
          list.add(readValue(elementType, depth + 1));
        }
        yield Collections.unmodifiableList(list);
      }
      case 10 -> readI64();
      case 11 -> readI64();
      case 12 -> {
        double v = data.get(F64, pos);
        pos += 8;
        yield v;
      }
      default -> throw new TrainerException(path + ": unknown GGUF value type " + type);
    };
  }

  @Override
  public void close() {
    arena.close();
  }
}
