package io.parley.gateway.application;

import io.parley.gateway.domain.Caller;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Chat and legacy completions between parsing a request and shaping the answer: screen the prompts
 * by the organization's policy, admit the request (rate limits, usage reservation), run it whole or
 * streamed, and bill what the engine generated. The reservation is released when the generation
 * could not start; a whole answer is billed at once and its output screened, a stream is billed
 * when it ends ({@link Streamed#finish()}).
 */
@ApplicationScoped
public class GenerationFlow {

  private TextGeneration generation;
  private Admission admission;
  private ContentScreening screening;
  private int defaultMaxTokens;

  /** For CDI proxies. */
  protected GenerationFlow() {}

  /**
   * @param generation the inference calls
   * @param admission rate limits and metering
   * @param screening the organization's moderation policy
   * @param defaultMaxTokens completion tokens reserved per sequence when max_tokens is absent
   */
  @Inject
  public GenerationFlow(
      TextGeneration generation,
      Admission admission,
      ContentScreening screening,
      @ConfigProperty(name = "parley.gateway.limits.default-max-tokens") int defaultMaxTokens) {
    this.generation = generation;
    this.admission = admission;
    this.screening = screening;
    this.defaultMaxTokens = defaultMaxTokens;
  }

  /**
   * Runs one request.
   *
   * @param model the model asked for
   * @param prompts one inference request per prompt, all with the same {@code n}
   * @param stream whether to stream the answer
   * @param param the request field the prompts came from ({@code messages} or {@code prompt}),
   *     named by a refusal of the input screening
   * @param onDecision receives the rate-limit decision before anything is thrown, for the response
   *     headers
   * @return the whole answer, or the stream that was started
   * @throws io.parley.gateway.domain.ContentFlaggedException when a prompt is flagged
   * @throws io.parley.gateway.domain.RateLimitExceededException when a limit refuses it
   * @throws io.parley.gateway.domain.QuotaExceededException when the budget refuses it
   * @throws io.parley.gateway.domain.GatewayException when the generation fails (to start)
   */
  public Outcome run(
      Caller caller,
      String requestId,
      String model,
      List<GenerateRequest> prompts,
      boolean stream,
      String param,
      Consumer<RateLimitDecision> onDecision) {
    var estimate = TokenEstimate.of(prompts, defaultMaxTokens);
    screening.screenInput(caller, requestId, prompts, param);
    var ticket = admission.admit(caller, requestId, model, estimate, onDecision);
    if (stream) {
      return new Streamed(ticket.start(() -> generation.stream(prompts)), ticket, estimate);
    }
    var response = ticket.start(() -> generation.generate(prompts));
    ticket.finish(response.getUsage());
    return new Whole(screening.screenOutput(caller, requestId, response));
  }

  /** What a request ran into: a whole answer or a stream. */
  public sealed interface Outcome permits Whole, Streamed {}

  /**
   * A whole answer, already billed, its flagged choices withheld.
   *
   * @param response the answer
   */
  public record Whole(GenerateResponse response) implements Outcome {}

  /** A started stream; {@link #finish()} it once it ended. */
  public static final class Streamed implements Outcome {
    private final ChunkStream chunks;
    private final Admission.Ticket ticket;
    private final TokenEstimate estimate;

    private Streamed(ChunkStream chunks, Admission.Ticket ticket, TokenEstimate estimate) {
      this.chunks = chunks;
      this.ticket = ticket;
      this.estimate = estimate;
    }

    /** The chunks, to be relayed to the client. */
    public ChunkStream chunks() {
      return chunks;
    }

    /**
     * The stream ended (completed, failed, or the client went away): bills what the engine
     * generated (see {@link ChunkStream#billable}). Later calls do nothing.
     */
    public void finish() {
      ticket.finish(chunks.billable(estimate));
    }
  }
}
