package io.parley.inference.infrastructure.download;

import io.parley.inference.domain.EngineFailureException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Downloads a model file once into a cache directory. The file is written under a temporary name,
 * its SHA-256 checked when one is configured, then moved into place atomically, so a crash never
 * leaves a half-written model behind. Progress is reported as the bytes arrive.
 */
public final class ModelDownloader {

  /** Progress of one download. */
  public record Progress(String modelId, long bytes, long totalBytes) {
    /** Percentage done, or -1 when the server did not say how large the file is. */
    public int percent() {
      return totalBytes > 0 ? (int) (bytes * 100 / totalBytes) : -1;
    }
  }

  private final Path cacheDir;
  private final HttpClient client;

  public ModelDownloader(Path cacheDir) {
    this.cacheDir = cacheDir;
    this.client =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(30))
            .build();
  }

  /**
   * Returns the cached file for {@code url}, downloading it first if needed.
   *
   * @param modelId model the file belongs to (for progress reports)
   * @param url where the file is
   * @param sha256 expected SHA-256 in hex; when given, a cached or downloaded file that does not
   *     match is rejected
   * @param progress receives progress at most every 2 seconds and at the end
   */
  public Path fetch(String modelId, URI url, Optional<String> sha256, Consumer<Progress> progress) {
    var name =
        sha256
            .map(s -> s.toLowerCase(java.util.Locale.ROOT))
            .orElseGet(() -> digest(url.toString().getBytes(StandardCharsets.UTF_8)));
    var target = cacheDir.resolve(name + ".gguf");
    try {
      Files.createDirectories(cacheDir);
      if (Files.isRegularFile(target)) {
        return target;
      }
      var partial = Files.createTempFile(cacheDir, name, ".part");
      try {
        var request = HttpRequest.newBuilder(url).GET().build();
        HttpResponse<InputStream> response =
            client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
          response.body().close();
          throw new EngineFailureException(
              "Downloading model " + modelId + " failed: HTTP " + response.statusCode());
        }
        long total = response.headers().firstValueAsLong("content-length").orElse(-1);
        var md = MessageDigest.getInstance("SHA-256");
        long done = 0;
        long lastReport = System.nanoTime();
        try (var in = response.body();
            var out = Files.newOutputStream(partial)) {
          var buffer = new byte[1 << 16];
          for (int read; (read = in.read(buffer)) >= 0; ) {
            out.write(buffer, 0, read);
            md.update(buffer, 0, read);
            done += read;
            if (System.nanoTime() - lastReport > 2_000_000_000L) {
              progress.accept(new Progress(modelId, done, total));
              lastReport = System.nanoTime();
            }
          }
        }
        progress.accept(new Progress(modelId, done, total));
        var actual = HexFormat.of().formatHex(md.digest());
        if (sha256.isPresent() && !sha256.get().equalsIgnoreCase(actual)) {
          throw new EngineFailureException(
              "Downloaded model "
                  + modelId
                  + " has SHA-256 "
                  + actual
                  + " but "
                  + sha256.get()
                  + " was expected");
        }
        try {
          Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
      } finally {
        Files.deleteIfExists(partial);
      }
    } catch (IOException e) {
      throw new EngineFailureException("Downloading model " + modelId + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineFailureException("Downloading model " + modelId + " was interrupted", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
