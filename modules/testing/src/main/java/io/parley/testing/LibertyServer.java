package io.parley.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Liberty server of one Parley service, started from the server its module's build created
 * ({@code modules/<service>/target/liberty/wlp}) as a separate process, with its own output
 * directory and environment. Stopped on close.
 */
public final class LibertyServer implements AutoCloseable {

  private final Path wlp;
  private final String name;
  private final Path output;
  private final Path javaHome;

  private LibertyServer(Path wlp, String name, Path output, Path javaHome) {
    this.wlp = wlp;
    this.name = name;
    this.output = output;
    this.javaHome = javaHome;
  }

  /**
   * Starts a service's server.
   *
   * @param root repository root
   * @param service module and server name ({@code inference}, {@code gateway}, …)
   * @param output directory for the server's logs and work area
   * @param env environment of the server (ports, configuration)
   */
  public static LibertyServer start(
      Path root, String service, Path output, Map<String, String> env) {
    var wlp = root.resolve("modules").resolve(service).resolve("target/liberty/wlp");
    var javaHome = Path.of(System.getProperty("parley.java.home", System.getProperty("java.home")));
    var server = new LibertyServer(wlp, service, output, javaHome);
    try {
      Files.createDirectories(output);
      var result = server.run(List.of("start", service), env, Duration.ofMinutes(6));
      if (result != 0) {
        throw new IllegalStateException(
            "Liberty server "
                + service
                + " failed to start (exit "
                + result
                + "): "
                + server.tail());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return server;
  }

  /**
   * Starts a service's server with its own identity certificate ({@code service} is the identity)
   * and the platform CA of {@code tls}.
   *
   * @see #start(Path, String, Path, Map)
   */
  public static LibertyServer start(
      Path root, String service, Path output, Map<String, String> env, TestCertificates tls) {
    var all = new java.util.HashMap<>(env);
    all.putAll(tls.env(service));
    return start(root, service, output, all);
  }

  /** Waits until {@code url} answers 200, failing with the server's log otherwise. */
  public void awaitReady(URI url, Duration timeout) {
    var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        var response =
            client.send(
                HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException(
        name + " not ready at " + url + " in " + timeout + ": " + tail());
  }

  /**
   * Kills the server's JVM with SIGKILL (no shutdown hooks, no quiesce), as a crash would, and
   * waits until it is gone. Its output directory stays, so the same service can be started again on
   * it.
   */
  public void kill() {
    var pidFile = output.resolve(".pid").resolve(name + ".pid");
    try {
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      var process =
          ProcessHandle.of(pid)
              .orElseThrow(
                  () -> new IllegalStateException(name + " (pid " + pid + ") is not running"));
      process.destroyForcibly();
      process.onExit().get(1, java.util.concurrent.TimeUnit.MINUTES);
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(name + " did not die on SIGKILL", e);
    }
  }

  /** The server's messages.log. */
  public Path log() {
    return output.resolve(name).resolve("logs/messages.log");
  }

  /** The last lines of the server's log, for failure messages. */
  public String tail() {
    try {
      var lines = Files.exists(log()) ? Files.readAllLines(log()) : List.<String>of();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private int run(List<String> args, Map<String, String> env, Duration timeout) throws IOException {
    var command = new ArrayList<String>();
    command.add(wlp.resolve("bin/server").toString());
    command.addAll(args);
    var builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(output.resolve(name + "-" + args.get(0) + ".out").toFile());
    builder.environment().putAll(env);
    builder.environment().put("JAVA_HOME", javaHome.toString());
    builder.environment().put("WLP_OUTPUT_DIR", output.toString());
    var process = builder.start();
    try {
      if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return -1;
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return -1;
    }
  }

  @Override
  public void close() {
    try {
      run(List.of("stop", name), Map.of(), Duration.ofMinutes(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
