package io.parley.inference.domain;

import java.util.List;

/** A loaded text-generation model. Implementations are thread-safe. */
public interface TextEngine extends AutoCloseable {

  ModelInfo info();

  /**
   * Tokenizes text. Special-token text (like {@code <|im_start|>}) in {@code text} is treated as
   * plain text.
   *
   * @param addSpecial whether to add the model's BOS/EOS tokens as its vocabulary prescribes
   */
  int[] tokenize(String text, boolean addSpecial);

  /** Turns tokens back into text; special tokens (BOS, EOS, ...) produce no text. */
  String detokenize(int[] tokens);

  /**
   * Renders chat messages with the model's chat template (GGUF tokenizer.chat_template via
   * llama_chat_apply_template), falling back to ChatML when the model has none or llama.cpp does
   * not know it. The result ends with an open assistant turn.
   */
  String renderChat(List<ChatMessage> messages);

  /**
   * Validates (context length, suffix support, parameters) synchronously by throwing
   * InferenceException subclasses, then runs asynchronously, calling the sink from the engine's
   * thread(s).
   *
   * @throws ContextLengthExceededException when prompt plus {@code maxTokens} do not fit the
   *     context
   * @throws InvalidGenerationRequestException when a parameter is invalid or unsupported by the
   *     model
   * @throws EngineOverloadedException when the admission queue is full
   * @throws EngineFailureException when the engine is closed
   */
  Generation generate(GenerationRequest request, GenerationSink sink);

  /**
   * Whether no generation is queued or running, so closing the engine would fail none; engines that
   * cannot tell say {@code false}.
   */
  default boolean idle() {
    return false;
  }

  /** Stops the engine; running generations fail with {@link EngineFailureException}. */
  @Override
  void close();
}
