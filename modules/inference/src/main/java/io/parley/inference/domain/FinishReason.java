package io.parley.inference.domain;

/** Why a choice ended. */
public enum FinishReason {
  /** An end-of-generation token or a stop string was produced. */
  STOP,
  /** {@code maxTokens} was reached or the context is full. */
  LENGTH,
  /** The caller cancelled the generation. */
  CANCELLED
}
