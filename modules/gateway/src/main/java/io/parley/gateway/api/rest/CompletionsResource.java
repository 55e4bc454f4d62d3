package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.common.ids.Ids;
import io.parley.gateway.application.GenerationFlow;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.domain.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code POST /v1/completions} (legacy), whole or streamed. */
@ApplicationScoped
@Path("/v1/completions")
public class CompletionsResource extends GenerationResource {

  /** For CDI proxies. */
  protected CompletionsResource() {}

  @Inject
  public CompletionsResource(
      GenerationFlow flow,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    super(flow, maxBodyBytes, retryAfterSeconds);
  }

  @POST
  public Response create(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    return post(headers, request, body);
  }

  @Override
  GenerationEndpoint.Reply reply(
      Caller caller, String requestId, ObjectNode json, Consumer<RateLimitDecision> onDecision) {
    var parsed = CompletionRequests.parse(json, requestId);
    var call =
        new CompletionCall(
            parsed.prompts().stream()
                .map(p -> p.toBuilder().setOrganization(caller.organization()).build())
                .toList(),
            parsed.stream(),
            parsed.includeUsage(),
            parsed.logprobs());
    var id = Ids.next("cmpl-");
    long created = GenerationEndpoint.now();
    var outcome =
        flow.run(
            caller, requestId, call.model(), call.prompts(), call.stream(), "prompt", onDecision);
    return switch (outcome) {
      case GenerationFlow.Streamed streamed ->
          GenerationEndpoint.Reply.stream(
              new TextStreamOutput(
                  streamed.chunks(),
                  call,
                  id,
                  created,
                  requestId,
                  retryAfterSeconds,
                  streamed::finish));
      case GenerationFlow.Whole whole ->
          GenerationEndpoint.Reply.json(
              OpenAiShapes.textCompletion(
                  id, created, call.model(), whole.response(), call.logprobs()));
    };
  }
}
