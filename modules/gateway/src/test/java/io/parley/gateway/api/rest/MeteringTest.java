package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.application.Admission;
import io.parley.gateway.application.GenerationFlow;
import io.parley.gateway.application.Metering;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.application.RateLimiter;
import io.parley.gateway.application.ScriptedUsage;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.ModelNotFoundException;
import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.QuotaExceededException;
import io.parley.gateway.domain.RateLimitExceededException;
import io.parley.gateway.domain.RateLimits;
import io.parley.gateway.domain.Role;
import io.parley.gateway.infrastructure.MemoryBucketStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generations are charged against a leased budget before they run and billed what they used through
 * the outbox afterwards, also when the client goes away mid-stream; rate limits and the budget
 * refuse before inference is called.
 */
class MeteringTest {

  private static final Caller CALLER = new Caller("org-a", "user-1", Role.READER, "key-1", false);

  private ScriptedInference inference;
  private ScriptedUsage usage;
  private Metering metering;
  private ChatCompletionsResource chat;
  private CompletionsResource completions;
  private final AtomicReference<RateLimitDecision> decision = new AtomicReference<>();
  @TempDir Path journal;

  @BeforeEach
  void start() throws Exception {
    inference = new ScriptedInference();
    usage = new ScriptedUsage();
    usage.hardLimits.put("org-a", 10_000_000L);
    metering = usage.metering(journal);
    var limiter =
        new RateLimiter(
            new MemoryBucketStore(),
            org -> new OrganizationLimits(new RateLimits(3, 10_000), Map.of()),
            RateLimits.NONE,
            false,
            1);
    var admission = new Admission(limiter, metering);
    var flow = new GenerationFlow(inference.generation(), admission, Unconfigured.screening(), 100);
    chat = new ChatCompletionsResource(flow, 1 << 20, 1);
    completions = new CompletionsResource(flow, 1 << 20, 1);
  }

  @AfterEach
  void stop() {
    inference.close();
    usage.close();
  }

  @Test
  void wholeCompletion_isBilledTheActualUsage_throughTheOutbox() {
    chat("req_whole", CALLER, "{\"model\":\"stories\",\"max_tokens\":4,\"n\":2," + HI + "}");

    await(() -> usage.ledger.containsKey("req_whole"));
    var record = usage.ledger.get("req_whole");
    assertThat(record.getOrganization()).isEqualTo("org-a");
    assertThat(record.getApiKeyId()).isEqualTo("key-1");
    assertThat(record.getModel()).isEqualTo("stories");
    assertThat(record.getUsage().getPromptTokens()).isEqualTo(5);
    assertThat(record.getUsage().getCompletionTokens()).isEqualTo(8);
    assertThat(record.getInterrupted()).isFalse();
    assertThat(record.getLeaseId()).isEqualTo(usage.leaseCalls.getFirst().getLeaseId());
    assertThat(inference.requests.getFirst().getOrganization()).isEqualTo("org-a");
  }

  @Test
  void manyRequests_takeOneLease_andPriceTheTableOnce() {
    for (int i = 0; i < 3; i++) {
      chat("req_" + i, CALLER, "{\"model\":\"stories\",\"max_tokens\":4," + HI + "}");
    }

    await(() -> usage.ledger.size() == 3);
    assertThat(usage.leaseCalls).hasSize(1);
    assertThat(usage.leaseCalls.getFirst().getRequestedMicros()).isEqualTo(100_000);
    assertThat(usage.priceCalls.get()).isEqualTo(1);
  }

  @Test
  void stream_billsTheUsageOfTheLastChunk_andTrueUpsTheTokenBucket() throws Exception {
    var reply =
        chat(
            "req_stream",
            CALLER,
            "{\"model\":\"stories\",\"max_tokens\":50,\"stream\":true," + HI + "}");
    assertThat(decision.get().headers()).containsEntry("x-ratelimit-remaining-tokens", "9941");

    reply.stream().write(new ByteArrayOutputStream());

    await(() -> usage.ledger.containsKey("req_stream"));
    assertThat(usage.ledger.get("req_stream").getUsage().getTotalTokens()).isEqualTo(9);
    var after = chat("req_2", CALLER, "{\"model\":\"stories\",\"max_tokens\":1," + HI + "}");
    assertThat(after.json()).isNotNull();
    // 59 charged, 50 given back at the end (9 used), 10 charged now; the bucket also refills.
    assertThat(Long.parseLong(decision.get().headers().get("x-ratelimit-remaining-tokens")))
        .isBetween(10_000L - 9 - 10, 10_000L - 10);
  }

  @Test
  void clientDisconnect_stopsTheGeneration_andBillsWhatTheEngineGenerated() throws Exception {
    var reply =
        chat(
            "req_gone",
            CALLER,
            "{\"model\":\"slow\",\"max_tokens\":1000,\"stream\":true," + HI + "}");
    var client = new DisconnectingClient(6);

    reply.stream().write(client);

    assertThat(inference.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
    await(() -> usage.ledger.containsKey("req_gone"));
    var actual = usage.ledger.get("req_gone").getUsage();
    // The engine's own report of what it generated up to the stop (the scripted engine counts
    // one token per chunk it sent, prompt 5): at least every chunk the client read.
    int contentEvents = client.events - 1;
    assertThat(actual.getCompletionTokens()).isGreaterThanOrEqualTo(contentEvents);
    assertThat(actual.getPromptTokens()).isEqualTo(5);
    assertThat(usage.ledger.get("req_gone").getInterrupted()).isFalse();
  }

  @Test
  void generationThatCannotStart_isBilledNothing() {
    assertThatThrownBy(
            () -> chat("req_nope", CALLER, "{\"model\":\"nope\",\"stream\":true," + HI + "}"))
        .isInstanceOf(ModelNotFoundException.class);

    await(() -> usage.ledger.containsKey("req_nope"));
    assertThat(usage.ledger.get("req_nope").getUsage().getTotalTokens()).isZero();
  }

  @Test
  void usageRecords_areRetriedUntilAcknowledged_andSentOnce() {
    usage.failRecords.set(2);

    chat("req_retry", CALLER, "{\"model\":\"stories\",\"max_tokens\":4," + HI + "}");

    await(() -> usage.ledger.containsKey("req_retry"));
    await(() -> usage.outbox.pending() == 0);
    assertThat(usage.receipts("req_retry")).isEqualTo(1);
  }

  @Test
  void overBudget_is429InsufficientQuota_andInferenceIsNotCalled() {
    var broke = new Caller("org-broke", "user-1", Role.OWNER, "key-9", false);

    assertThatThrownBy(() -> chat("req_broke", broke, "{\"model\":\"stories\"," + HI + "}"))
        .isInstanceOfSatisfying(
            QuotaExceededException.class,
            e -> {
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.type()).isEqualTo("insufficient_quota");
              assertThat(e.code()).contains("insufficient_quota");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "You exceeded your current quota, please check your plan and billing"
                          + " details.");
              assertThat(e.headers()).containsEntry("x-should-retry", "false");
            });
    assertThat(inference.requests).isEmpty();
  }

  @Test
  void overTheRequestLimit_is429BeforeChargingOrGenerating() {
    for (int i = 0; i < 3; i++) {
      completions.create(
          CALLER,
          "req_" + i,
          null,
          -1,
          in("{\"model\":\"stories\",\"prompt\":\"Hi\",\"max_tokens\":2}"),
          decision::set);
    }

    assertThatThrownBy(
            () ->
                completions.create(
                    CALLER,
                    "req_4",
                    null,
                    -1,
                    in("{\"model\":\"stories\",\"prompt\":\"Hi\",\"max_tokens\":2}"),
                    decision::set))
        .isInstanceOfSatisfying(
            RateLimitExceededException.class,
            e -> {
              assertThat(e.type()).isEqualTo("requests");
              assertThat(e.getMessage())
                  .startsWith(
                      "Rate limit reached for stories in organization org-a on requests per min"
                          + " (RPM): Limit 3, Used 3, Requested 1. Please try again in ");
              assertThat(e.headers()).containsKeys("retry-after", "x-ratelimit-reset-requests");
            });
    assertThat(decision.get().allowed()).isFalse();
    assertThat(inference.requests).hasSize(3);
    await(() -> usage.ledger.size() == 3);
    assertThat(usage.ledger).doesNotContainKey("req_4");
  }

  private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

  private GenerationEndpoint.Reply chat(String requestId, Caller caller, String body) {
    return chat.create(caller, requestId, null, -1, in(body), decision::set);
  }

  private static ByteArrayInputStream in(String body) {
    return new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in time");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** A client that reads a few events, then closes the connection. */
  private static final class DisconnectingClient extends OutputStream {
    private final int eventsBeforeLeaving;
    private final StringBuilder received = new StringBuilder();
    int events;

    DisconnectingClient(int eventsBeforeLeaving) {
      this.eventsBeforeLeaving = eventsBeforeLeaving;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (events >= eventsBeforeLeaving) {
        throw new IOException("Broken pipe");
      }
      received.append(new String(b, off, len, StandardCharsets.UTF_8));
      events = received.toString().split("\n\n", -1).length - 1;
    }
  }
}
