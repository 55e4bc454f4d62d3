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
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code POST /v1/chat/completions}, whole or streamed. */
@ApplicationScoped
@Path("/v1/chat/completions")
public class ChatCompletionsResource extends GenerationResource {

  /** For CDI proxies. */
  protected ChatCompletionsResource() {}

  @Inject
  public ChatCompletionsResource(
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
    var parsed = ChatCompletionRequests.parse(json, requestId);
    var call =
        new ChatCompletionCall(
            parsed.request().toBuilder().setOrganization(caller.organization()).build(),
            parsed.stream(),
            parsed.includeUsage(),
            parsed.logprobs());
    var id = Ids.next("chatcmpl-");
    long created = GenerationEndpoint.now();
    var outcome =
        flow.run(
            caller,
            requestId,
            call.model(),
            List.of(call.request()),
            call.stream(),
            "messages",
            onDecision);
    return switch (outcome) {
      case GenerationFlow.Streamed streamed ->
          GenerationEndpoint.Reply.stream(
              new ChatStreamOutput(
                  streamed.chunks(),
                  call,
                  id,
                  created,
                  requestId,
                  retryAfterSeconds,
                  streamed::finish));
      case GenerationFlow.Whole whole ->
          GenerationEndpoint.Reply.json(
              OpenAiShapes.chatCompletion(
                  id, created, call.model(), whole.response(), call.logprobs()));
    };
  }
}
