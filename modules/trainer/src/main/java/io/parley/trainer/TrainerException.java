package io.parley.trainer;

/** A training run cannot start or continue: bad input, a bad model file, or a failed step. */
public class TrainerException extends RuntimeException {

  public TrainerException(String message) {
    super(message);
  }

  public TrainerException(String message, Throwable cause) {
    super(message, cause);
  }
}
