package io.parley.trainer.gguf;

import io.parley.trainer.TrainerException;

/** The ggml tensor types the trainer knows, with their GGUF codes and storage sizes. */
public enum GgmlType {
  F32(0, 1, 4),
  F16(1, 1, 2),
  Q4_0(2, 32, 18),
  Q4_1(3, 32, 20),
  Q5_0(6, 32, 22),
  Q5_1(7, 32, 24),
  Q8_0(8, 32, 34),
  Q8_1(9, 32, 36),
  Q2_K(10, 256, 84),
  Q3_K(11, 256, 110),
  Q4_K(12, 256, 144),
  Q5_K(13, 256, 176),
  Q6_K(14, 256, 210),
  Q8_K(15, 256, 292),
  BF16(30, 1, 2);

  private final int code;
  private final int blockSize;
  private final int blockBytes;

  GgmlType(int code, int blockSize, int blockBytes) {
    this.code = code;
    this.blockSize = blockSize;
    this.blockBytes = blockBytes;
  }

  public int code() {
    return code;
  }

  /** Bytes that {@code elements} values of this type take. */
  public long bytes(long elements) {
    return Math.multiplyExact(elements / blockSize, (long) blockBytes);
  }

  public static GgmlType of(int code) {
    for (GgmlType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new TrainerException("unsupported ggml tensor type " + code);
  }
}
