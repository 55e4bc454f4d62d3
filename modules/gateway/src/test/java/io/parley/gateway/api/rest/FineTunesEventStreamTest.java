package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.JobApi;
import io.parley.finetuning.v1.JobStatus;
import io.parley.finetuning.v1.ListJobEventsResponse;
import io.parley.gateway.application.Drain;
import io.parley.gateway.application.FineTuning;
import io.parley.gateway.application.FineTuningBackend;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.Role;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The legacy fine-tune event stream ({@code GET /v1/fine-tunes/{id}/events?stream=true}). */
class FineTunesEventStreamTest {

  private static final Caller CALLER = new Caller("org-a", "user-1", Role.READER, "key-1", false);

  /** A backend with one running legacy job that has no events yet. */
  private static FineTuningBackend runningJobWithoutEvents() {
    return (FineTuningBackend)
        Proxy.newProxyInstance(
            FineTunesEventStreamTest.class.getClassLoader(),
            new Class<?>[] {FineTuningBackend.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "get" ->
                      Job.newBuilder()
                          .setId("ftjob-1")
                          .setApi(JobApi.JOB_API_LEGACY)
                          .setStatus(JobStatus.JOB_STATUS_RUNNING)
                          .build();
                  case "events" -> ListJobEventsResponse.getDefaultInstance();
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  @Test
  void drainingGateway_endsAWatchWithNothingNew_withAnErrorEvent_notAtItsTimeLimit()
      throws Exception {
    var drain = new Drain();
    var resource =
        new FineTunesResource(
            new FineTuning(runningJobWithoutEvents()), null, 1 << 20, 20, 600_000, drain);
    var output = resource.eventStream(CALLER, "ftjob-1");
    var body = new ByteArrayOutputStream();
    var streaming =
        CompletableFuture.runAsync(
            () -> {
              try {
                output.write(body);
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    Thread.sleep(100);
    assertThat(streaming).as("a watch runs until the job ends or its time limit").isNotDone();

    assertThat(drain.drain(Duration.ZERO, Duration.ofSeconds(5))).isZero();
    streaming.get(5, TimeUnit.SECONDS);

    var text = body.toString(StandardCharsets.UTF_8);
    assertThat(text).startsWith("data: {\"error\":").contains("\"code\":\"service_unavailable\"");
    assertThat(text).doesNotContain("[DONE]");
  }
}
