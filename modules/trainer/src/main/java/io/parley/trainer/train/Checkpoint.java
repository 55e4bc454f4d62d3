package io.parley.trainer.train;

import io.parley.trainer.TrainerException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The state after an epoch: LoRA values, AdamW moments, the step reached and the run's fingerprint
 * (the data and hyperparameters it belongs to). Stored as {@code state.bin} next to the epoch's
 * {@code adapter.gguf}.
 */
public record Checkpoint(
    String fingerprint,
    int epochsDone,
    int step,
    long tokens,
    float[][] params,
    float[][] m,
    float[][] v) {

  private static final long MAGIC = 0x504c59434b505431L; // "PLYCKPT1"
  public static final String FILE = "state.bin";

  public void write(Path dir) {
    try {
      Files.createDirectories(dir);
      Path temp = Files.createTempFile(dir, FILE, ".tmp");
      try {
        try (DataOutputStream out =
            new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temp), 1 << 20))) {
          out.writeLong(MAGIC);
          out.writeUTF(fingerprint);
          out.writeInt(epochsDone);
          out.writeInt(step);
          out.writeLong(tokens);
          out.writeInt(params.length);
          for (int i = 0; i < params.length; i++) {
            out.writeInt(params[i].length);
            for (float[] a : new float[][] {params[i], m[i], v[i]}) {
              for (float x : a) {
                out.writeFloat(x);
              }
            }
          }
        }
        Files.move(
            temp,
            dir.resolve(FILE),
            StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new TrainerException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  public static Checkpoint read(Path dir, int[] sizes) {
    Path file = dir.resolve(FILE);
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
      if (in.readLong() != MAGIC) {
        throw new TrainerException(file + " is not a trainer checkpoint");
      }
      String fingerprint = in.readUTF();
      int epochs = in.readInt();
      int step = in.readInt();
      long tokens = in.readLong();
      int n = in.readInt();
      if (n != sizes.length) {
        throw new TrainerException(
            file + " holds " + n + " parameters, the run has " + sizes.length);
      }
      float[][] p = new float[n][];
      float[][] m = new float[n][];
      float[][] v = new float[n][];
      for (int i = 0; i < n; i++) {
        int len = in.readInt();
        if (len != sizes[i]) {
          throw new TrainerException(file + ": parameter " + i + " has the wrong size");
        }
        p[i] = readFloats(in, len);
        m[i] = readFloats(in, len);
        v[i] = readFloats(in, len);
      }
      return new Checkpoint(fingerprint, epochs, step, tokens, p, m, v);
    } catch (IOException e) {
      throw new TrainerException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
    }
  }

  private static float[] readFloats(DataInputStream in, int n) throws IOException {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = in.readFloat();
    }
    return out;
  }
}
