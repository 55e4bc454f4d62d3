package io.parley.files.infrastructure.trainer;

import io.parley.files.domain.JobRunner;
import io.parley.files.domain.StoreException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code parley-trainer} as a child process of this service: {@code java [options] -jar
 * parley-trainer.jar ARGS}, offline ({@code -Dai.djl.offline=true}) with PyTorch's natives cached
 * under {@code cacheDirectory}. Stop sends SIGTERM (the trainer ends between steps with status
 * 130); a trainer left behind by a crashed worker on this host is recognised by its process id and
 * its job id on the command line.
 */
public final class LocalProcessRunner implements JobRunner {

  private static final System.Logger LOG = System.getLogger(LocalProcessRunner.class.getName());
  private static final String PREFIX = "local:";

  private final Path java;
  private final Path jar;
  private final List<String> javaOptions;
  private final Path cacheDirectory;
  private final String host;

  /**
   * @param java the java launcher
   * @param jar parley-trainer.jar (its lib/ beside it)
   * @param javaOptions extra JVM options (heap size)
   * @param cacheDirectory where DJL keeps PyTorch's native library
   */
  public LocalProcessRunner(Path java, Path jar, List<String> javaOptions, Path cacheDirectory) {
    this.java = java;
    this.jar = jar;
    this.javaOptions = List.copyOf(javaOptions);
    this.cacheDirectory = cacheDirectory;
    this.host = hostName();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  @Override
  public Execution start(Spec spec) {
    if (!Files.isRegularFile(jar)) {
      throw new StoreException(
          "The trainer jar " + jar + " is missing (parley.finetuning.trainer.jar).", null);
    }
    var command =
        TrainerLaunch.command(
            java.toString(), jar.toString(), javaOptions, cacheDirectory.toString(), spec);
    try {
      var process =
          new ProcessBuilder(command)
              .directory(spec.output().toFile())
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      LOG.log(
          System.Logger.Level.INFO,
          "Trainer for {0} attempt {1} started: pid {2}",
          spec.jobId(),
          Integer.toString(spec.attempt()),
          Long.toString(process.pid()));
      return new Child(process, PREFIX + host + ":" + process.pid());
    } catch (IOException e) {
      throw new StoreException("Cannot start the trainer: " + e.getMessage(), e);
    }
  }

  @Override
  public void stopLeftover(String runnerRef, String jobId) {
    if (!runnerRef.startsWith(PREFIX + host + ":")) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(runnerRef.substring((PREFIX + host + ":").length()));
    } catch (NumberFormatException e) {
      return;
    }
    ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(
            p ->
                p.info()
                    .arguments()
                    .map(a -> List.of(a).contains("-Dparley.job=" + jobId))
                    .orElse(false))
        .ifPresent(
            p -> {
              LOG.log(
                  System.Logger.Level.INFO,
                  "Stopping trainer {0} left behind by an earlier attempt of {1}",
                  Long.toString(pid),
                  jobId);
              p.destroy();
              try {
                p.onExit().get(30, TimeUnit.SECONDS);
              } catch (Exception e) {
                p.destroyForcibly();
              }
            });
  }

  /** A child trainer; its stderr is kept (last lines) for progress and error messages. */
  private static final class Child implements Execution {
    private final Process process;
    private final String reference;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private final Thread reader;

    Child(Process process, String reference) {
      this.process = process;
      this.reference = reference;
      this.reader =
          Thread.ofPlatform()
              .daemon()
              .name("parley-trainer-stderr-" + process.pid())
              .start(this::drain);
    }

    private void drain() {
      try (var in =
          new BufferedReader(
              new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          synchronized (lines) {
            lines.addLast(line.length() > 2000 ? line.substring(0, 2000) : line);
            while (lines.size() > 40) {
              lines.removeFirst();
            }
          }
        }
      } catch (IOException e) {
        // the process ended
      }
    }

    @Override
    public String reference() {
      return reference;
    }

    @Override
    public OptionalInt await(Duration timeout) {
      try {
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          reader.join(2000);
          return OptionalInt.of(process.exitValue());
        }
        return OptionalInt.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return OptionalInt.empty();
      }
    }

    @Override
    public void stop() {
      process.destroy();
    }

    @Override
    public void kill() {
      process.destroyForcibly();
    }

    @Override
    public Optional<String> lastError() {
      synchronized (lines) {
        return lines.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", lines));
      }
    }
  }
}
