package io.parley.inference.infrastructure.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.parley.inference.domain.EngineFailureException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDownloaderTest {

  @TempDir Path cache;
  HttpServer server;
  final byte[] content = new byte[300_000];
  final AtomicInteger downloads = new AtomicInteger();

  @BeforeEach
  void serve() throws Exception {
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 31);
    }
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/model.gguf",
        exchange -> {
          downloads.incrementAndGet();
          exchange.sendResponseHeaders(200, content.length);
          try (var out = exchange.getResponseBody()) {
            out.write(content);
          }
        });
    server.createContext(
        "/missing.gguf",
        exchange -> {
          exchange.sendResponseHeaders(404, -1);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  String sha256() throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }

  @Test
  void download_withMatchingSha_isCachedAndReportsProgress() throws Exception {
    var progress = new ArrayList<ModelDownloader.Progress>();
    var downloader = new ModelDownloader(cache);
    var path = downloader.fetch("m", url("/model.gguf"), Optional.of(sha256()), progress::add);
    assertThat(Files.readAllBytes(path)).isEqualTo(content);
    assertThat(progress).isNotEmpty();
    assertThat(progress.get(progress.size() - 1).percent()).isEqualTo(100);
    var again = downloader.fetch("m", url("/model.gguf"), Optional.of(sha256()), p -> {});
    assertThat(again).isEqualTo(path);
    assertThat(downloads.get()).isEqualTo(1);
  }

  @Test
  void download_withWrongSha_isRejectedAndLeavesNothingBehind() throws Exception {
    var downloader = new ModelDownloader(cache);
    assertThatThrownBy(
            () -> downloader.fetch("m", url("/model.gguf"), Optional.of("00".repeat(32)), p -> {}))
        .isInstanceOf(EngineFailureException.class)
        .hasMessageContaining("SHA-256");
    try (var files = Files.list(cache)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void download_httpError_isAClearFailure() {
    var downloader = new ModelDownloader(cache);
    assertThatThrownBy(() -> downloader.fetch("m", url("/missing.gguf"), Optional.empty(), p -> {}))
        .isInstanceOf(EngineFailureException.class)
        .hasMessageContaining("HTTP 404");
  }
}
