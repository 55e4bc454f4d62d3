package io.parley.files.domain;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Runs the {@code parley-trainer} command for one attempt of a job: a local child process, or a
 * Kubernetes Job. The trainer writes into {@link Spec#output()}, which the worker reads.
 */
public interface JobRunner {

  /**
   * Starts the trainer.
   *
   * @throws StoreException when it cannot be started
   */
  Execution start(Spec spec);

  /**
   * Stops what a previous attempt left running, when {@code runnerRef} names something this runner
   * started and it still runs (a worker that crashed leaves its trainer behind).
   */
  void stopLeftover(String runnerRef, String jobId);

  /**
   * One trainer run.
   *
   * @param jobId the job
   * @param attempt the attempt
   * @param arguments the trainer's arguments (after the command)
   * @param output the output directory
   */
  record Spec(String jobId, int attempt, List<String> arguments, Path output) {}

  /** A running trainer. */
  interface Execution {

    /** What runs it, recorded with the attempt ({@code local:<host>:<pid>}). */
    String reference();

    /** Waits up to {@code timeout}; the exit status once it ended. */
    OptionalInt await(Duration timeout);

    /** Asks it to stop (SIGTERM): it ends between steps with status 130. */
    void stop();

    /** Ends it at once. */
    void kill();

    /** The last lines it wrote on stderr, for error messages. */
    Optional<String> lastError();
  }
}
