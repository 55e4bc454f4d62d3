package io.parley.inference.infrastructure.benchmark;

import io.parley.inference.domain.ChatMessage;
import io.parley.inference.domain.ContextLengthExceededException;
import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InvalidGenerationRequestException;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.TextEngine;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A BENCHMARK engine, not a feature: it runs no model. It answers every request at once with a
 * fixed token stream ({@code " tok"} repeated up to {@code max_tokens}, 16 when not set), so that a
 * benchmark measures what the services around an engine cost (gRPC, the gateway's parsing,
 * admission, SSE relay) with the engine's own cost taken out. Selected only by naming it as a
 * model's engine ({@code parley.inference.model.<id>.engine=benchmark}); loading one logs a warning
 * that the model serves no real text.
 *
 * <p>Tokens are the UTF-8 bytes of the prompt (vocabulary 256); each generated token is the text
 * {@code " tok"} with id 256. Stop strings and sampling parameters are accepted and ignored. Each
 * generation runs on a virtual thread of its own and checks for cancellation between tokens.
 */
public final class BenchmarkEngine implements TextEngine {

  /** The engine name in {@code parley.inference.model.<id>.engine}. */
  public static final String NAME = "benchmark";

  /** The text of every generated token. */
  public static final String TOKEN_TEXT = " tok";

  private static final int TOKEN_ID = 256;
  private static final int DEFAULT_MAX_TOKENS = 16;
  private static final byte[] TOKEN_BYTES = TOKEN_TEXT.getBytes(StandardCharsets.UTF_8);
  private static final System.Logger LOG = System.getLogger(BenchmarkEngine.class.getName());

  private final ModelInfo info;
  private volatile boolean closed;

  /**
   * @param id the model id clients use
   * @param ownedBy the owner shown in the model listing
   * @param createdEpochSeconds creation time shown in the model listing
   * @param contextLength prompt plus completion tokens allowed per sequence
   */
  public BenchmarkEngine(String id, String ownedBy, long createdEpochSeconds, int contextLength) {
    this.info = new ModelInfo(id, ownedBy, createdEpochSeconds, contextLength, TOKEN_ID + 1, false);
    LOG.log(
        System.Logger.Level.WARNING,
        "*** Model {0} uses the BENCHMARK engine: it generates a fixed token stream and no real"
            + " text. It exists to measure the services around an engine; never use it to serve"
            + " users. ***",
        id);
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public int[] tokenize(String text, boolean addSpecial) {
    var bytes = text.getBytes(StandardCharsets.UTF_8);
    var tokens = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      tokens[i] = bytes[i] & 0xff;
    }
    return tokens;
  }

  @Override
  public String detokenize(int[] tokens) {
    var out = new java.io.ByteArrayOutputStream(tokens.length);
    for (int token : tokens) {
      if (token == TOKEN_ID) {
        out.writeBytes(TOKEN_BYTES);
      } else if (token >= 0 && token < TOKEN_ID) {
        out.write(token);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public String renderChat(List<ChatMessage> messages) {
    var text = new StringBuilder();
    for (var message : messages) {
      text.append(message.role()).append(": ").append(message.content()).append('\n');
    }
    return text.append("assistant:").toString();
  }

  @Override
  public Generation generate(GenerationRequest request, GenerationSink sink) {
    if (closed) {
      throw new EngineFailureException("The benchmark engine of " + info.id() + " is closed");
    }
    if (request.prompt() instanceof Prompt.Text text && text.suffix().isPresent()) {
      throw new InvalidGenerationRequestException(
          "The model " + info.id() + " does not support suffix.", "suffix");
    }
    String promptText =
        switch (request.prompt()) {
          case Prompt.Text text -> text.text();
          case Prompt.Chat chat -> renderChat(chat.messages());
          case Prompt.Tokens tokens -> detokenize(tokens.tokens());
        };
    int promptTokens =
        request.prompt() instanceof Prompt.Tokens tokens
            ? tokens.tokens().length
            : tokenize(promptText, true).length;
    int room = info.contextLength() - promptTokens;
    int maxTokens = request.maxTokens().orElse(Math.min(DEFAULT_MAX_TOKENS, Math.max(room, 0)));
    if (promptTokens + maxTokens > info.contextLength()) {
      throw new ContextLengthExceededException(
          info.contextLength(), promptTokens, maxTokens, "messages");
    }
    var running = new Running(request, sink, promptText, promptTokens, maxTokens);
    Thread.ofVirtual().name("benchmark-" + request.requestId()).start(running);
    return running;
  }

  @Override
  public boolean idle() {
    return true;
  }

  @Override
  public void close() {
    closed = true;
  }

  /** One generation: every choice's tokens, then the usage. */
  private final class Running implements Generation, Runnable {
    private final GenerationRequest request;
    private final GenerationSink sink;
    private final String promptText;
    private final int promptTokens;
    private final int maxTokens;
    private volatile boolean cancelled;

    Running(
        GenerationRequest request,
        GenerationSink sink,
        String promptText,
        int promptTokens,
        int maxTokens) {
      this.request = request;
      this.sink = sink;
      this.promptText = promptText;
      this.promptTokens = promptTokens;
      this.maxTokens = maxTokens;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    @Override
    public void run() {
      try {
        boolean logprobs = request.logprobs().isPresent();
        int generated = 0;
        for (int index = 0; index < request.n(); index++) {
          if (request.echo()) {
            sink.onEcho(index, promptText, echoTokens(logprobs));
          }
          int produced = 0;
          while (produced < maxTokens && !cancelled) {
            var token =
                new TokenLogprob(
                    TOKEN_ID,
                    TOKEN_TEXT,
                    TOKEN_BYTES,
                    logprobs ? OptionalDouble.of(0.0) : OptionalDouble.empty(),
                    List.of(),
                    produced * TOKEN_TEXT.length());
            sink.onDelta(index, TOKEN_TEXT, List.of(token));
            produced++;
          }
          generated += produced;
          sink.onFinish(index, cancelled ? FinishReason.CANCELLED : FinishReason.LENGTH);
        }
        // best_of sequences beyond n are "generated" too: count them as the real engines do.
        generated += Math.max(0, request.bestOf() - request.n()) * maxTokens;
        sink.onComplete(new Usage(promptTokens, generated));
      } catch (RuntimeException e) {
        sink.onError(new EngineFailureException("benchmark generation failed", e));
      }
    }

    private List<TokenLogprob> echoTokens(boolean logprobs) {
      var tokens = tokenize(promptText, false);
      var list = new ArrayList<TokenLogprob>(tokens.length);
      for (int i = 0; i < tokens.length; i++) {
        list.add(
            new TokenLogprob(
                tokens[i],
                new String(new byte[] {(byte) tokens[i]}, StandardCharsets.ISO_8859_1),
                new byte[] {(byte) tokens[i]},
                logprobs && i > 0 ? OptionalDouble.of(0.0) : OptionalDouble.empty(),
                List.of(),
                i));
      }
      return list;
    }
  }
}
