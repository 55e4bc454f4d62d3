package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.RateLimits;
import io.parley.gateway.infrastructure.EmbeddingsClient;
import io.parley.gateway.infrastructure.FineTunedModelsClient;
import io.parley.gateway.infrastructure.MemoryBucketStore;
import io.parley.gateway.infrastructure.SafetyClient;
import io.parley.gateway.infrastructure.UsageClient;
import java.util.Optional;

/**
 * The parts of a gateway that runs with no backend service configured besides the one under test,
 * and with no rate limits: each built through its production constructor, the clients with no
 * target (as when {@code parley.<service>.target} is not set).
 */
public final class Unconfigured {

  private Unconfigured() {}

  /**
   * No usage service: the admin key alone, nothing metered, policies kept by the safety service.
   */
  public static UsageBackend usage() {
    return new UsageClient(null, Optional.empty(), 5_000, 1);
  }

  /** No safety service: moderation answers 501, screening is off. */
  public static SafetyBackend safety() {
    return new SafetyClient(null, Optional.empty(), 5_000, 1);
  }

  /** No embeddings service: embeddings answer 501, no embedding model is listed. */
  public static EmbeddingsBackend embeddings() {
    return new EmbeddingsClient(null, Optional.empty(), 5_000, 5_000, 1);
  }

  /** No fine-tuned model registry: nothing is fine-tuned. */
  public static FineTunedModels fineTunedModels() {
    return new FineTunedModelsClient(null, Optional.empty(), 5_000, 1);
  }

  /** No rate limit configured: every request is admitted and no bucket is kept. */
  public static RateLimiter rateLimiter() {
    return new RateLimiter(
        new MemoryBucketStore(),
        organization -> OrganizationLimits.NONE,
        RateLimits.NONE,
        false,
        1);
  }

  /** Metering without a usage service: nothing is charged or written down. */
  public static Metering metering() {
    var outbox = new NoOutbox();
    return new Metering(
        new BudgetLeases(
            usage(),
            outbox,
            ScriptedUsage.BUDGET,
            System::nanoTime,
            System::currentTimeMillis,
            null),
        outbox);
  }

  /** Admission with no rate limits and no metering. */
  public static Admission admission() {
    return new Admission(rateLimiter(), metering());
  }

  /** Screening with neither a safety nor a usage service: off. */
  public static ContentScreening screening() {
    return new ContentScreening(safety(), usage(), 0);
  }

  /** The outbox of a gateway without a usage service, which never writes to it. */
  private static final class NoOutbox implements UsageOutbox {
    @Override
    public void admitted(AdmittedUsage admitted) {
      throw new IllegalStateException("nothing is metered without a usage service");
    }

    @Override
    public void finished(String requestId, TokenUsage actual) {
      throw new IllegalStateException("nothing is metered without a usage service");
    }

    @Override
    public long unrecorded(String leaseId) {
      return 0;
    }
  }
}
