package io.parley.bench;

import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Upload and download throughput of {@code /v1/files} through the gateway and the files service
 * (directory store) next to writing and reading the same bytes to the same disk directly, and the
 * gateway's peak heap (jstat) during the upload. 512 MiB per transfer; rounds alternate; medians.
 *
 * <p>Arguments: megabytes per transfer (default 512), rounds (default 3). With {@code
 * -Dbench.files.jfr=DIR} both servers run with a Java Flight Recorder recording ({@code profile}
 * settings) that they write to {@code DIR/<pid>.jfr} when they stop.
 */
public final class FilesBenchmark {

  private FilesBenchmark() {}

  public static void main(String[] args) throws Exception {
    long size = (args.length > 0 ? Long.parseLong(args[0]) : 512) << 20;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    var root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    var output = root.resolve("modules/bench/target/servers/files");
    Files.createDirectories(output);
    var key = "sk-bench-" + Long.toHexString(System.nanoTime()) + "0123456789abcdef";
    var keyFile = output.resolve("admin-key");
    Files.writeString(keyFile, key + "\n");
    var blobs = output.resolve("blobs");
    int filesGrpc = Ports.free();
    int filesHttp = Ports.free();
    int gatewayPort = Ports.free();
    var certs = TestCertificates.create(output.resolve("tls"));
    var servers = new ArrayList<LibertyServer>();
    try {
      servers.add(
          LibertyServer.start(
              root,
              "files",
              output,
              profiled(
                  Map.of(
                      "HTTP_PORT", Integer.toString(filesHttp),
                      "PARLEY_GRPC_PORT", Integer.toString(filesGrpc),
                      "PARLEY_DATA_DIR", output.resolve("data").toString(),
                      "PARLEY_FILES_STORE_DIRECTORY", blobs.toString(),
                      "PARLEY_FILES_QUOTA_BYTES", "0")),
              certs));
      servers.add(
          LibertyServer.start(
              root,
              "gateway",
              output,
              profiled(
                  Map.of(
                      "HTTP_PORT",
                      Integer.toString(gatewayPort),
                      "PARLEY_INFERENCE_TARGET",
                      "127.0.0.1:" + Ports.free(),
                      "PARLEY_FILES_TARGET",
                      "127.0.0.1:" + filesGrpc,
                      "PARLEY_GATEWAY_ADMIN_KEY_FILE",
                      keyFile.toString(),
                      "PARLEY_GATEWAY_ADMIN_KEY_GENERATE",
                      "false")),
              certs));
      servers
          .get(0)
          .awaitReady(
              URI.create("http://127.0.0.1:" + filesHttp + "/health/ready"), Duration.ofMinutes(3));
      servers
          .get(1)
          .awaitReady(
              URI.create("http://127.0.0.1:" + gatewayPort + "/health/live"),
              Duration.ofMinutes(3));
      long gatewayPid =
          Long.parseLong(Files.readString(output.resolve(".pid/gateway.pid")).strip());

      var direct = blobs.resolve("direct.bin");
      var directUp = new ArrayList<Double>();
      var directDown = new ArrayList<Double>();
      var chainUp = new ArrayList<Double>();
      var chainDown = new ArrayList<Double>();
      long peakHeap = 0;
      upload(gatewayPort, key, 64L << 20, gatewayPid); // warm-up
      for (int round = 0; round < rounds; round++) {
        long t = System.nanoTime();
        writeDirect(direct, size);
        directUp.add(mbps(size, t));
        t = System.nanoTime();
        readDirect(direct);
        directDown.add(mbps(size, t));
        Files.delete(direct);

        t = System.nanoTime();
        var result = upload(gatewayPort, key, size, gatewayPid);
        chainUp.add(mbps(size, t));
        peakHeap = Math.max(peakHeap, result.peakHeapBytes());
        t = System.nanoTime();
        long read = download(gatewayPort, key, result.fileId());
        chainDown.add(mbps(size, t));
        if (read != size) {
          throw new IllegalStateException("downloaded " + read + " of " + size + " bytes");
        }
        delete(gatewayPort, key, result.fileId());
      }
      System.out.printf("%n%d MiB per transfer, median of %d rounds (MB/s):%n", size >> 20, rounds);
      System.out.printf(
          "  upload:   direct %.0f, through the gateway %.0f, ratio %.2f%n",
          median(directUp), median(chainUp), median(chainUp) / median(directUp));
      System.out.printf(
          "  download: direct %.0f, through the gateway %.0f, ratio %.2f%n",
          median(directDown), median(chainDown), median(chainDown) / median(directDown));
      System.out.printf(
          "  gateway peak heap used during a %d MiB upload: %d MiB%n", size >> 20, peakHeap >> 20);
    } finally {
      for (var server : servers.reversed()) {
        server.close();
      }
    }
  }

  record Uploaded(String fileId, long peakHeapBytes) {}

  /** A server's environment, with a flight recording when {@code bench.files.jfr} is set. */
  static Map<String, String> profiled(Map<String, String> env) throws IOException {
    var dir = System.getProperty("bench.files.jfr", "");
    if (dir.isEmpty()) {
      return env;
    }
    var jfr = Files.createDirectories(Path.of(dir)).toAbsolutePath();
    var out = new java.util.HashMap<>(env);
    out.put(
        "JAVA_TOOL_OPTIONS",
        "-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=" + jfr + "/%p.jfr");
    return out;
  }

  static double mbps(long bytes, long startNanos) {
    return bytes / 1e6 / ((System.nanoTime() - startNanos) / 1e9);
  }

  static double median(List<Double> values) {
    var sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  static void fill(byte[] block, long offset) {
    Arrays.fill(block, (byte) (offset >>> 20));
  }

  static void writeDirect(Path file, long size) throws IOException {
    var block = new byte[256 * 1024];
    try (var out =
        Files.newOutputStream(
            file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long sent = 0; sent < size; sent += block.length) {
        fill(block, sent);
        out.write(block, 0, (int) Math.min(block.length, size - sent));
      }
    }
  }

  static void readDirect(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
  }

  /** Heap used (KiB columns S0U+S1U+EU+OU of jstat -gc), sampled every 100 ms. */
  static Thread heapSampler(long pid, AtomicBoolean running, AtomicLong peak) {
    return Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              var jstat =
                  Path.of(System.getProperty("parley.java.home", System.getProperty("java.home")))
                      .resolve("bin/jstat");
              try {
                var process =
                    new ProcessBuilder(jstat.toString(), "-gc", Long.toString(pid), "100")
                        .redirectErrorStream(true)
                        .start();
                try (var lines = process.inputReader()) {
                  String line;
                  while (running.get() && (line = lines.readLine()) != null) {
                    var f = line.trim().split("\\s+");
                    if (f.length > 7 && Character.isDigit(f[0].charAt(0))) {
                      double used =
                          Double.parseDouble(f[2])
                              + Double.parseDouble(f[3])
                              + Double.parseDouble(f[5])
                              + Double.parseDouble(f[7]);
                      peak.accumulateAndGet((long) (used * 1024), Math::max);
                    }
                  }
                } finally {
                  process.destroy();
                }
              } catch (IOException e) {
                // no jstat: peak stays 0
              }
            });
  }

  static Uploaded upload(int port, String key, long size, long gatewayPid) throws Exception {
    var running = new AtomicBoolean(true);
    var peak = new AtomicLong();
    var sampler = heapSampler(gatewayPid, running, peak);
    try (var socket = new Socket("127.0.0.1", port)) {
      var out = socket.getOutputStream();
      out.write(
          ("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + key
                  + "\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=b"
                  + "\r\nTransfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      chunk(
          out,
          ("--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b\r\n"
                  + "Content-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      var block = new byte[256 * 1024];
      for (long sent = 0; sent < size; sent += block.length) {
        fill(block, sent);
        chunk(out, block, (int) Math.min(block.length, size - sent));
      }
      chunk(out, "\r\n--b--\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      var response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!response.startsWith("HTTP/1.1 200")) {
        throw new IllegalStateException("upload failed: " + response);
      }
      var id = response.replaceAll("(?s).*\"id\":\"(file-[A-Za-z0-9]+)\".*", "$1");
      return new Uploaded(id, peak.get());
    } finally {
      Thread.sleep(200);
      running.set(false);
      sampler.join(2000);
    }
  }

  static void chunk(OutputStream out, byte[] data) throws IOException {
    chunk(out, data, data.length);
  }

  static void chunk(OutputStream out, byte[] data, int length) throws IOException {
    out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(data, 0, length);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  static long download(int port, String key, String id) throws IOException {
    try (var socket = new Socket("127.0.0.1", port)) {
      var out = socket.getOutputStream();
      out.write(
          ("GET /v1/files/"
                  + id
                  + "/content HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization:"
                  + " Bearer "
                  + key
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      var head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("no response");
        }
        head.write(b);
        matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      if (!head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200")) {
        throw new IOException("download failed: " + head);
      }
      return in.transferTo(OutputStream.nullOutputStream());
    }
  }

  static void delete(int port, String key, String id) throws IOException {
    try (var socket = new Socket("127.0.0.1", port)) {
      socket
          .getOutputStream()
          .write(
              ("DELETE /v1/files/"
                      + id
                      + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer "
                      + key
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      socket.getInputStream().readAllBytes();
    }
  }
}
