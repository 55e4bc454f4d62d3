package io.parley.files.application;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How fine-tuning runs in this files service.
 *
 * @param baseModels trainable base models: model id → GGUF file
 * @param maxConcurrentJobs jobs this service trains at once (0: it trains none, only serves the
 *     API)
 * @param maxConcurrentPerOrganization jobs one organization may have training at once, across every
 *     replica
 * @param lease how long a claimed job stays leased without a heartbeat
 * @param heartbeat how often a running job's lease is renewed and its output read
 * @param poll how often the queue is looked at
 * @param maxAttempts training attempts before a job that keeps crashing fails
 * @param workDirectory where jobs' files and trainer output live while they train
 * @param trainerThreads PyTorch threads of a trainer (0: the trainer decides)
 */
public record FineTuningSettings(
    Map<String, Path> baseModels,
    int maxConcurrentJobs,
    int maxConcurrentPerOrganization,
    Duration lease,
    Duration heartbeat,
    Duration poll,
    int maxAttempts,
    Path workDirectory,
    int trainerThreads) {

  /**
   * Parses {@code id=path,id2=path2}.
   *
   * @throws IllegalArgumentException when an entry has no {@code =}, or an id holds a colon
   */
  public static Map<String, Path> parseBaseModels(String spec) {
    var out = new java.util.LinkedHashMap<String, Path>();
    for (var entry : spec.split(",")) {
      var e = entry.strip();
      if (e.isEmpty()) {
        continue;
      }
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new IllegalArgumentException(
            "parley.finetuning.base-models entries are id=path, not " + e);
      }
      var id = e.substring(0, eq).strip();
      if (id.contains(":") || id.length() > 64) {
        throw new IllegalArgumentException(
            "A base model id has at most 64 characters and no colon: " + id);
      }
      out.put(id, Path.of(e.substring(eq + 1).strip()));
    }
    return Map.copyOf(out);
  }
}
