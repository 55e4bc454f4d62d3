package io.parley.llama;

/** llama.cpp could not be loaded, or one of its calls failed. */
public class LlamaException extends RuntimeException {

  public LlamaException(String message) {
    super(message);
  }

  public LlamaException(String message, Throwable cause) {
    super(message, cause);
  }
}
