package io.parley.inference.application;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How fine-tuned models are fetched and kept.
 *
 * @param cacheDir private directory the adapters are written to
 * @param maxAdapterBytes largest adapter fetched; a larger one is refused before any byte is read
 * @param maxLoaded adapters kept loaded at most (each with its own context)
 * @param maxLoadedBytes adapter bytes kept loaded at most, all adapters together
 * @param idleTimeout an adapter unused this long is unloaded
 * @param lookupTtl how long the registry's answer about a model is trusted before it is asked again
 *     (so a deleted model stops being served after at most this long)
 * @param slots parallel sequences of each adapter's context
 */
public record AdapterPolicy(
    Path cacheDir,
    long maxAdapterBytes,
    int maxLoaded,
    long maxLoadedBytes,
    Duration idleTimeout,
    Duration lookupTtl,
    int slots) {

  public AdapterPolicy {
    Objects.requireNonNull(cacheDir, "cacheDir");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(lookupTtl, "lookupTtl");
    if (maxAdapterBytes < 1 || maxLoaded < 1 || maxLoadedBytes < 1 || slots < 1) {
      throw new IllegalArgumentException(
          "adapter limits and slots must be positive: " + maxAdapterBytes + ", " + maxLoaded);
    }
    if (idleTimeout.isNegative() || lookupTtl.isNegative()) {
      throw new IllegalArgumentException("adapter durations must not be negative");
    }
  }
}
