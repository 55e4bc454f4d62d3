package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileListParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.uploads.UploadCompleteParams;
import com.openai.models.uploads.UploadCreateParams;
import com.openai.models.uploads.parts.PartCreateParams;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Files and Uploads APIs through the gateway with the official openai-java SDK, against real
 * usage, files and gateway Liberty servers on PostgreSQL: round trips, paging, byte-exact
 * downloads, multi-part uploads, tenancy on every route, size limits with flat memory, and a client
 * that hangs up mid-upload.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FilesIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final long MAX = 536_870_912L;

  static FilesStack stack;
  static Org acme;
  static Org other;

  record Org(String id, String key) {}

  @TempDir static Path temp;

  @BeforeAll
  static void start() throws Exception {
    stack = new FilesStack();
    acme = organization("acme");
    other = organization("other");
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  record Reply(int status, JsonNode body) {}

  static Reply call(String method, String path, String key, String contentType, byte[] body)
      throws Exception {
    var builder =
        HttpRequest.newBuilder(URI.create(stack.baseUrl() + path))
            .timeout(Duration.ofSeconds(120))
            .header("Authorization", "Bearer " + key)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      builder.header("Content-Type", contentType);
    }
    var response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json =
        response.body().isBlank() || !response.body().startsWith("{")
            ? JSON.nullNode()
            : JSON.readTree(response.body());
    return new Reply(response.statusCode(), json);
  }

  static Reply json(String method, String path, String key, String body) throws Exception {
    return call(
        method,
        path,
        key,
        body == null ? null : "application/json",
        body == null ? null : body.getBytes(StandardCharsets.UTF_8));
  }

  static Org organization(String name) throws Exception {
    var created =
        json(
            "POST",
            "/organizations",
            stack.adminKey,
            "{\"name\":\"" + name + "\",\"owner\":\"owner@" + name + ".test\"}");
    assertThat(created.status()).as(created.body().toString()).isEqualTo(200);
    var org = created.body().path("id").asText();
    var owner = created.body().path("owner").asText();
    var request =
        HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/organization/api_keys"))
            .header("Authorization", "Bearer " + stack.adminKey)
            .header("OpenAI-Organization", org)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"name\":\"owner key\",\"user_id\":\"" + owner + "\"}"))
            .build();
    var key = JSON.readTree(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body());
    return new Org(org, key.path("value").asText());
  }

  static OpenAIClient sdk(Org org) {
    return OpenAIOkHttpClient.builder()
        .baseUrl(stack.baseUrl())
        .apiKey(org.key())
        .maxRetries(0)
        .timeout(Duration.ofSeconds(120))
        .build();
  }

  static String chatLine(int i) {
    return "{\"messages\":[{\"role\":\"user\",\"content\":\"question "
        + i
        + "\"},{\"role\":\"assistant\",\"content\":\"answer "
        + i
        + "\"}]}\n";
  }

  static byte[] multipart(String boundary, String purpose, String filename, byte[] data) {
    var out = new ByteArrayOutputStream();
    out.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                + purpose
                + "\r\n--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    out.writeBytes(data);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  @Test
  @Order(1)
  void upload_list_retrieve_downloadByteExact_delete_withTheSdk() throws Exception {
    var client = sdk(acme);
    var training = temp.resolve("train.jsonl");
    var text = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      text.append(chatLine(i));
    }
    Files.writeString(training, text);
    var tuned =
        client
            .files()
            .create(
                FileCreateParams.builder().file(training).purpose(FilePurpose.FINE_TUNE).build());
    assertThat(tuned.id()).startsWith("file-");
    assertThat(tuned.filename()).isEqualTo("train.jsonl");
    assertThat(tuned.bytes()).isEqualTo(Files.size(training));
    assertThat(tuned.purpose()).isEqualTo(FileObject.Purpose.FINE_TUNE);
    assertThat(tuned.status()).isEqualTo(FileObject.Status.PROCESSED);

    var random = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(random);
    var binary = temp.resolve("data.bin");
    Files.write(binary, random);
    var ids = new ArrayList<String>();
    ids.add(tuned.id());
    for (int i = 0; i < 3; i++) {
      ids.add(
          client
              .files()
              .create(
                  FileCreateParams.builder().file(binary).purpose(FilePurpose.USER_DATA).build())
              .id());
    }

    var page = client.files().list(FileListParams.builder().limit(2).build());
    assertThat(page.data()).extracting(FileObject::id).containsExactly(ids.get(3), ids.get(2));
    assertThat(page.hasNextPage()).isTrue();
    var next = page.nextPage();
    assertThat(next.data()).extracting(FileObject::id).containsExactly(ids.get(1), ids.get(0));
    assertThat(next.hasNextPage()).isFalse();
    var ascending =
        client.files().list(FileListParams.builder().order(FileListParams.Order.ASC).build());
    assertThat(ascending.data()).extracting(FileObject::id).containsExactlyElementsOf(ids);
    assertThat(client.files().list(FileListParams.builder().purpose("fine-tune").build()).data())
        .extracting(FileObject::id)
        .containsExactly(tuned.id());

    assertThat(client.files().retrieve(ids.get(1)).bytes()).isEqualTo(random.length);
    try (var response = client.files().content(ids.get(1))) {
      assertThat(response.body().readAllBytes()).isEqualTo(random);
    }
    try (var response = client.files().content(tuned.id())) {
      assertThat(new String(response.body().readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo(text.toString());
    }

    var storage = json("GET", "/organization/storage", acme.key(), null);
    assertThat(storage.status()).isEqualTo(200);
    assertThat(storage.body().path("bytes").asLong())
        .isEqualTo(3L * random.length + Files.size(training));
    assertThat(storage.body().path("files").asLong()).isEqualTo(4);

    for (var id : ids.subList(1, 4)) {
      var deleted = client.files().delete(id);
      assertThat(deleted.deleted()).isTrue();
      assertThat(deleted.id()).isEqualTo(id);
    }
    assertThatThrownBy(() -> client.files().retrieve(ids.get(1)))
        .isInstanceOf(NotFoundException.class);
    assertThat(client.files().list().data()).extracting(FileObject::id).containsExactly(tuned.id());
  }

  @Test
  @Order(2)
  void invalidTrainingFile_is400_namingLineAndKey_withParamFile() throws Exception {
    var text = chatLine(1) + chatLine(2) + chatLine(3) + "{\"messages\":\"hi\"}\n";
    for (int i = 0; i < 10; i++) {
      text += chatLine(i);
    }
    var before = stack.filesRows("files");
    var reply =
        call(
            "POST",
            "/files",
            acme.key(),
            "multipart/form-data; boundary=b0undary",
            multipart("b0undary", "fine-tune", "bad.jsonl", text.getBytes(StandardCharsets.UTF_8)));
    assertThat(reply.status()).isEqualTo(400);
    var error = reply.body().path("error");
    assertThat(error.path("message").asText()).isEqualTo("Line 4: \"messages\" is not an array.");
    assertThat(error.path("param").asText()).isEqualTo("file");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(stack.filesRows("files")).isEqualTo(before);

    var missingPurpose =
        call(
            "POST",
            "/files",
            acme.key(),
            "multipart/form-data; boundary=b",
            ("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\nabc\r\n--b--\r\n")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(missingPurpose.status()).isEqualTo(400);
    assertThat(missingPurpose.body().path("error").path("param").asText()).isEqualTo("purpose");
    var json = json("POST", "/files", acme.key(), "{}");
    assertThat(json.status()).isEqualTo(400);
  }

  @Test
  @Order(3)
  void uploadsApi_threePartsSentOutOfOrder_completeInPartIdsOrder() throws Exception {
    var client = sdk(acme);
    var whole = new byte[3 * 700_000];
    new Random(11).nextBytes(whole);
    var upload =
        client
            .uploads()
            .create(
                UploadCreateParams.builder()
                    .bytes(whole.length)
                    .filename("big.bin")
                    .mimeType("application/octet-stream")
                    .purpose(FilePurpose.BATCH)
                    .build());
    assertThat(upload.id()).startsWith("upload_");
    assertThat(upload.status()).isEqualTo(com.openai.models.uploads.Upload.Status.PENDING);
    var parts = new String[3];
    for (int i : new int[] {2, 0, 1}) {
      parts[i] =
          client
              .uploads()
              .parts()
              .create(
                  PartCreateParams.builder()
                      .uploadId(upload.id())
                      .data(Arrays.copyOfRange(whole, i * 700_000, (i + 1) * 700_000))
                      .build())
              .id();
    }
    var done =
        client
            .uploads()
            .complete(
                UploadCompleteParams.builder()
                    .uploadId(upload.id())
                    .partIds(List.of(parts))
                    .build());
    assertThat(done.status()).isEqualTo(com.openai.models.uploads.Upload.Status.COMPLETED);
    var file = done.file().orElseThrow();
    assertThat(file.bytes()).isEqualTo(whole.length);
    try (var response = client.files().content(file.id())) {
      assertThat(response.body().readAllBytes()).isEqualTo(whole);
    }

    var cancelled =
        client
            .uploads()
            .create(
                UploadCreateParams.builder()
                    .bytes(10)
                    .filename("x")
                    .mimeType("text/plain")
                    .purpose(FilePurpose.BATCH)
                    .build());
    assertThat(client.uploads().cancel(cancelled.id()).status())
        .isEqualTo(com.openai.models.uploads.Upload.Status.CANCELLED);
    client.files().delete(file.id());
  }

  @Test
  @Order(4)
  void anotherOrganization_gets404_onEveryRoute() throws Exception {
    var client = sdk(acme);
    var file =
        client
            .files()
            .create(
                FileCreateParams.builder()
                    .file("secret".getBytes(StandardCharsets.UTF_8))
                    .purpose(FilePurpose.USER_DATA)
                    .build());
    var upload =
        client
            .uploads()
            .create(
                UploadCreateParams.builder()
                    .bytes(10)
                    .filename("x")
                    .mimeType("text/plain")
                    .purpose(FilePurpose.BATCH)
                    .build());
    var key = other.key();
    assertThat(json("GET", "/files/" + file.id(), key, null).status()).isEqualTo(404);
    assertThat(json("GET", "/files/" + file.id() + "/content", key, null).status()).isEqualTo(404);
    assertThat(json("DELETE", "/files/" + file.id(), key, null).status()).isEqualTo(404);
    assertThat(json("GET", "/files", key, null).body().path("data").size()).isZero();
    assertThat(json("GET", "/files?after=" + file.id(), key, null).status()).isEqualTo(400);
    assertThat(
            call(
                    "POST",
                    "/uploads/" + upload.id() + "/parts",
                    key,
                    "multipart/form-data; boundary=b",
                    ("--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"blob\"\r\n\r\n"
                            + "0123456789\r\n--b--\r\n")
                        .getBytes(StandardCharsets.UTF_8))
                .status())
        .isEqualTo(404);
    assertThat(
            json(
                    "POST",
                    "/uploads/" + upload.id() + "/complete",
                    key,
                    "{\"part_ids\":[\"part_x\"]}")
                .status())
        .isEqualTo(404);
    assertThat(json("POST", "/uploads/" + upload.id() + "/cancel", key, null).status())
        .isEqualTo(404);
    assertThat(json("GET", "/organization/storage", key, null).body().path("bytes").asLong())
        .isZero();
    assertThat(client.files().retrieve(file.id()).id()).isEqualTo(file.id());
    client.files().delete(file.id());
    client.uploads().cancel(upload.id());
  }

  @Test
  @Order(5)
  void bodyOf600MB_isRefusedWith413_beforeItIsRead() throws Exception {
    try (var socket = new Socket("127.0.0.1", stack.gatewayPort)) {
      socket.setSoTimeout(30_000);
      var out = socket.getOutputStream();
      out.write(
          ("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + acme.key()
                  + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: "
                  + 600L * 1024 * 1024
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      var status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(status).isEqualTo("HTTP/1.1 413");
    }
  }

  /** A multipart upload of {@code size} generated bytes over a raw socket, chunked. */
  static String streamUpload(long size, AtomicLong peakGateway, AtomicLong peakFiles)
      throws Exception {
    long gatewayPid = stack.pid("gateway");
    long filesPid = stack.pid("files");
    var sampling = new AtomicBoolean(true);
    var sampler =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (sampling.get()) {
                    try {
                      peakGateway.accumulateAndGet(FilesStack.rss(gatewayPid), Math::max);
                      peakFiles.accumulateAndGet(FilesStack.rss(filesPid), Math::max);
                      Thread.sleep(50);
                    } catch (Exception e) {
                      return;
                    }
                  }
                });
    try (var socket = new Socket("127.0.0.1", stack.gatewayPort)) {
      socket.setSoTimeout(120_000);
      var in = socket.getInputStream();
      var response = new ByteArrayOutputStream();
      var reader =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      in.transferTo(response);
                    } catch (IOException e) {
                      // the server closed the connection
                    }
                  });
      var out = socket.getOutputStream();
      out.write(
          ("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + acme.key()
                  + "\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=b"
                  + "\r\nTransfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      try {
        chunk(
            out,
            ("--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b\r\n"
                    + "Content-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        var block = new byte[1 << 20];
        for (long sent = 0; sent < size; sent += block.length) {
          Arrays.fill(block, (byte) (sent >>> 20));
          chunk(out, Arrays.copyOf(block, (int) Math.min(block.length, size - sent)));
        }
        chunk(out, "\r\n--b--\r\n".getBytes(StandardCharsets.US_ASCII));
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException refusedEarly) {
        // the server answered and closed while the body was still being sent
      }
      reader.join(120_000);
      return response.toString(StandardCharsets.UTF_8);
    } finally {
      sampling.set(false);
      sampler.join();
    }
  }

  static void chunk(OutputStream out, byte[] data) throws IOException {
    out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  @Order(6)
  void upload512MB_keepsMemoryFlat_andDownloadsByteExact() throws Exception {
    long gatewayBefore = FilesStack.rss(stack.pid("gateway"));
    long filesBefore = FilesStack.rss(stack.pid("files"));
    var peakGateway = new AtomicLong();
    var peakFiles = new AtomicLong();
    long started = System.nanoTime();
    var response = streamUpload(MAX, peakGateway, peakFiles);
    double seconds = (System.nanoTime() - started) / 1e9;
    assertThat(response).startsWith("HTTP/1.1 200");
    var body = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4).strip());
    var id = body.path("id").asText();
    assertThat(body.path("bytes").asLong()).isEqualTo(MAX);
    System.out.printf(
        "512 MiB upload: %.1f s (%.0f MB/s); RSS gateway %d -> peak %d MiB, files %d -> peak %d MiB"
            + " (heaps capped at %s)%n",
        seconds,
        MAX / 1e6 / seconds,
        gatewayBefore >> 20,
        peakGateway.get() >> 20,
        filesBefore >> 20,
        peakFiles.get() >> 20,
        FilesStack.HEAP);
    // Heaps are capped at 256 MiB: a buffered 512 MiB body would not fit.
    assertThat(peakGateway.get() - gatewayBefore).isLessThan(200L << 20);
    assertThat(peakFiles.get() - filesBefore).isLessThan(200L << 20);

    var expected = MessageDigest.getInstance("SHA-256");
    var block = new byte[1 << 20];
    for (long sent = 0; sent < MAX; sent += block.length) {
      Arrays.fill(block, (byte) (sent >>> 20));
      expected.update(block);
    }
    var actual = MessageDigest.getInstance("SHA-256");
    long count = 0;
    started = System.nanoTime();
    try (var download = sdk(acme).files().content(id);
        InputStream in = download.body()) {
      var buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        actual.update(buffer, 0, n);
        count += n;
      }
    }
    seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf("512 MiB download: %.1f s (%.0f MB/s)%n", seconds, MAX / 1e6 / seconds);
    assertThat(count).isEqualTo(MAX);
    assertThat(HexFormat.of().formatHex(actual.digest()))
        .isEqualTo(HexFormat.of().formatHex(expected.digest()));
    sdk(acme).files().delete(id);
  }

  @Test
  @Order(7)
  void chunkedBodyPastTheMaximum_is413_whileMemoryStaysFlat() throws Exception {
    long rows = stack.filesRows("files");
    long gatewayBefore = FilesStack.rss(stack.pid("gateway"));
    var peakGateway = new AtomicLong();
    var peakFiles = new AtomicLong();
    var response = streamUpload(600L * 1024 * 1024, peakGateway, peakFiles);
    assertThat(response).startsWith("HTTP/1.1 413");
    assertThat(response).contains("\"code\":\"file_too_large\"");
    assertThat(peakGateway.get() - gatewayBefore).isLessThan(200L << 20);
    assertThat(stack.filesRows("files")).isEqualTo(rows);
    awaitNoTemporaryBlobs(rows);
  }

  void awaitNoTemporaryBlobs(long rows) throws Exception {
    for (int i = 0; i < 100 && stack.blobCount() > rows; i++) {
      Thread.sleep(100);
    }
    assertThat(stack.blobCount()).isEqualTo(rows);
  }

  @Test
  @Order(8)
  void clientHangingUpMidUpload_leavesNothingBehind() throws Exception {
    long rows = stack.filesRows("files");
    var marks = stack.logMarks();
    try (var socket = new Socket("127.0.0.1", stack.gatewayPort)) {
      var out = socket.getOutputStream();
      out.write(
          ("POST /v1/files HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + acme.key()
                  + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: "
                  + 50_000_000
                  + "\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                  + "batch\r\n--b\r\nContent-Disposition: form-data; name=\"file\";"
                  + " filename=\"x\"\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      var block = new byte[1 << 20];
      for (int i = 0; i < 5; i++) {
        out.write(block);
      }
      out.flush();
      Thread.sleep(500);
    }
    Thread.sleep(1500);
    assertThat(stack.filesRows("files")).isEqualTo(rows);
    awaitNoTemporaryBlobs(rows);
    var logs = stack.logsSince(marks);
    assertThat(logs).doesNotContain(" E ").doesNotContain("SRVE0777E").doesNotContain(" 500 ");
    // Liberty's HTTP channel records an FFDC incident of its own when a blocking servlet read
    // finds the connection closed (HttpInputStreamEE7); nothing else may be reported: the
    // gateway lets go of the failed body stream, so the container's close at the end of the
    // request adds none.
    assertThat(logs.lines().filter(l -> l.contains("FFDC1015I")))
        .allMatch(l -> l.contains("java.io.EOFException: Connection closed"))
        .hasSizeLessThanOrEqualTo(1);
    assertThat(json("GET", "/files", acme.key(), null).status()).isEqualTo(200);
  }
}
