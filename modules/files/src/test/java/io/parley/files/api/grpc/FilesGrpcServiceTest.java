package io.parley.files.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.GrpcErrors;
import io.parley.files.application.FileLimits;
import io.parley.files.application.FileService;
import io.parley.files.infrastructure.blob.DirectoryBlobStore;
import io.parley.files.infrastructure.jdbc.JdbcFileRepository;
import io.parley.files.testsupport.TestDatabases;
import io.parley.files.v1.*;
import io.parley.persistence.Database;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files gRPC API through real stubs, on PostgreSQL and a directory store. */
class FilesGrpcServiceTest {

  static final Caller ORG_A =
      Caller.newBuilder().setOrganization("org-a").setUser("user-a").build();
  static final Caller ORG_B =
      Caller.newBuilder().setOrganization("org-b").setUser("user-b").build();
  static final String CHAT =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
          + "{\"role\":\"assistant\",\"content\":\"hello\"}]}\n";

  @TempDir Path blobs;
  String schema;
  Database database;
  JdbcFileRepository repository;
  Server server;
  ManagedChannel channel;
  FilesServiceGrpc.FilesServiceBlockingStub stub;
  FilesServiceGrpc.FilesServiceStub async;

  @BeforeEach
  void start() throws Exception {
    schema = TestDatabases.newSchema();
    database = TestDatabases.postgres(schema, 4);
    repository = new JdbcFileRepository(database.jdbc());
    var limits = new FileLimits(4096, 20_000, 1024, 10, 1000, 100, Duration.ofHours(1));
    var files =
        new FileService(repository, DirectoryBlobStore.open(blobs), limits, Clock.systemUTC());
    var name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(new FilesGrpcService(files, 100))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    stub = FilesServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    async = FilesServiceGrpc.newStub(channel);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination();
    database.close();
    TestDatabases.dropSchema(schema);
  }

  File upload(Caller caller, String name, String purpose, byte[] bytes, boolean purposeLast)
      throws Exception {
    var result = new CompletableFuture<UploadFileResponse>();
    var requests = async.uploadFile(observer(result));
    requests.onNext(
        UploadFileRequest.newBuilder()
            .setMetadata(
                UploadMetadata.newBuilder()
                    .setCaller(caller)
                    .setFilename(name)
                    .setPurpose(purposeLast ? "" : purpose))
            .build());
    for (int i = 0; i < bytes.length; i += 100) {
      requests.onNext(
          UploadFileRequest.newBuilder()
              .setData(ByteString.copyFrom(bytes, i, Math.min(100, bytes.length - i)))
              .build());
    }
    if (purposeLast) {
      requests.onNext(
          UploadFileRequest.newBuilder()
              .setFinish(UploadFinish.newBuilder().setPurpose(purpose))
              .build());
    }
    requests.onCompleted();
    try {
      return result.get(30, TimeUnit.SECONDS).getFile();
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  byte[] content(Caller caller, String id) throws Exception {
    var out = new ByteArrayOutputStream();
    var it =
        stub.getFileContent(
            GetFileContentRequest.newBuilder().setCaller(caller).setFileId(id).build());
    it.forEachRemaining(m -> out.writeBytes(m.getData().toByteArray()));
    return out.toByteArray();
  }

  long rows(String table) throws Exception {
    try (var c = database.jdbc().dataSource().getConnection();
        var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  long blobFiles() throws Exception {
    try (var all = Files.walk(blobs)) {
      return all.filter(Files::isRegularFile).count();
    }
  }

  static byte[] bytes(int n) {
    var b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }

  @Test
  void upload_get_content_delete_roundTrip_isByteExact() throws Exception {
    var data = bytes(1234);
    var file = upload(ORG_A, "data.bin", "batch", data, true);
    assertThat(file.getId()).startsWith("file-");
    assertThat(file.getBytes()).isEqualTo(1234);
    assertThat(file.getPurpose()).isEqualTo("batch");
    assertThat(file.getStatus()).isEqualTo(FileStatus.FILE_STATUS_PROCESSED);
    assertThat(file.getSha256()).hasSize(64);
    assertThat(
            stub.getFile(
                    GetFileRequest.newBuilder().setCaller(ORG_A).setFileId(file.getId()).build())
                .getFile())
        .isEqualTo(file);
    assertThat(content(ORG_A, file.getId())).isEqualTo(data);
    assertThat(
            stub.getStorageUsage(GetStorageUsageRequest.newBuilder().setCaller(ORG_A).build())
                .getBytes())
        .isEqualTo(1234);
    var deleted =
        stub.deleteFile(
            DeleteFileRequest.newBuilder().setCaller(ORG_A).setFileId(file.getId()).build());
    assertThat(deleted.getDeleted()).isTrue();
    assertThat(blobFiles()).isZero();
    assertThat(
            stub.getStorageUsage(GetStorageUsageRequest.newBuilder().setCaller(ORG_A).build())
                .getBytes())
        .isZero();
    assertNotFound(
        () ->
            stub.getFile(
                GetFileRequest.newBuilder().setCaller(ORG_A).setFileId(file.getId()).build()));
  }

  @Test
  void anotherOrganization_getsNotFound_everywhere() throws Exception {
    var file = upload(ORG_A, "a.txt", "user_data", bytes(10), false);
    var id = file.getId();
    assertNotFound(
        () -> stub.getFile(GetFileRequest.newBuilder().setCaller(ORG_B).setFileId(id).build()));
    assertNotFound(() -> content(ORG_B, id));
    assertNotFound(
        () ->
            stub.deleteFile(DeleteFileRequest.newBuilder().setCaller(ORG_B).setFileId(id).build()));
    assertThat(
            stub.listFiles(ListFilesRequest.newBuilder().setCaller(ORG_B).build()).getFilesList())
        .isEmpty();
    assertThat(content(ORG_A, id)).isEqualTo(bytes(10));
  }

  @Test
  void list_pagesInBothOrders_andFiltersByPurpose() throws Exception {
    var ids = new ArrayList<String>();
    for (int i = 0; i < 5; i++) {
      ids.add(upload(ORG_A, "f" + i, i == 2 ? "batch" : "user_data", bytes(5), false).getId());
      Thread.sleep(3);
    }
    var first = stub.listFiles(ListFilesRequest.newBuilder().setCaller(ORG_A).setLimit(2).build());
    assertThat(first.getFilesList())
        .extracting(File::getId)
        .containsExactly(ids.get(4), ids.get(3));
    assertThat(first.getHasMore()).isTrue();
    var rest =
        stub.listFiles(
            ListFilesRequest.newBuilder()
                .setCaller(ORG_A)
                .setLimit(10)
                .setAfter(ids.get(3))
                .build());
    assertThat(rest.getFilesList())
        .extracting(File::getId)
        .containsExactly(ids.get(2), ids.get(1), ids.get(0));
    assertThat(rest.getHasMore()).isFalse();
    var asc =
        stub.listFiles(
            ListFilesRequest.newBuilder()
                .setCaller(ORG_A)
                .setOrder(SortOrder.SORT_ORDER_ASC)
                .setLimit(2)
                .setAfter(ids.get(0))
                .build());
    assertThat(asc.getFilesList()).extracting(File::getId).containsExactly(ids.get(1), ids.get(2));
    var batch =
        stub.listFiles(ListFilesRequest.newBuilder().setCaller(ORG_A).setPurpose("batch").build());
    assertThat(batch.getFilesList()).extracting(File::getId).containsExactly(ids.get(2));
  }

  @Test
  void invalidFineTuneFile_isRefusedWithLineAndParam_andLeavesNothing() throws Exception {
    var text = CHAT.repeat(3) + "{\"messages\":{}}\n" + CHAT.repeat(8);
    assertThatThrownBy(
            () ->
                upload(
                    ORG_A, "train.jsonl", "fine-tune", text.getBytes(StandardCharsets.UTF_8), true))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              var error = GrpcErrors.parse(e);
              assertThat(error.message()).isEqualTo("Line 4: \"messages\" is not an array.");
              assertThat(error.param()).contains("file");
            });
    assertThat(rows("files")).isZero();
    assertThat(blobFiles()).isZero();
    var ok = upload(ORG_A, "train.jsonl", "fine-tune", CHAT.repeat(10).getBytes(), false);
    assertThat(ok.getPurpose()).isEqualTo("fine-tune");
  }

  @Test
  void cancelledUpload_leavesNoRowAndNoBlob() throws Exception {
    var result = new CompletableFuture<UploadFileResponse>();
    var requests = async.uploadFile(observer(result));
    requests.onNext(
        UploadFileRequest.newBuilder()
            .setMetadata(
                UploadMetadata.newBuilder().setCaller(ORG_A).setFilename("x").setPurpose("batch"))
            .build());
    requests.onNext(
        UploadFileRequest.newBuilder().setData(ByteString.copyFrom(bytes(100))).build());
    Thread.sleep(200);
    assertThat(blobFiles()).isOne();
    requests.onError(Status.CANCELLED.asException());
    for (int i = 0; i < 50 && blobFiles() > 0; i++) {
      Thread.sleep(20);
    }
    assertThat(blobFiles()).isZero();
    assertThat(rows("files")).isZero();
  }

  @Test
  void tooLarge_andMissingPurpose_andUnknownPurpose_areRefused() throws Exception {
    assertCode(
        () -> upload(ORG_A, "big", "batch", bytes(5000), false), Status.Code.OUT_OF_RANGE, "file");
    assertCode(
        () -> upload(ORG_A, "x", "", bytes(5), false), Status.Code.INVALID_ARGUMENT, "purpose");
    assertCode(
        () -> upload(ORG_A, "x", "fine-tune-results", bytes(5), false),
        Status.Code.INVALID_ARGUMENT,
        "purpose");
    assertThat(rows("files")).isZero();
    assertThat(blobFiles()).isZero();
  }

  @Test
  void quota_refusesTheFileThatWouldPassIt() throws Exception {
    for (int i = 0; i < 5; i++) {
      upload(ORG_A, "f", "batch", bytes(4000), false);
    }
    assertCode(
        () -> upload(ORG_A, "f", "batch", bytes(4000), false),
        Status.Code.RESOURCE_EXHAUSTED,
        "file");
    assertThat(upload(ORG_B, "f", "batch", bytes(4000), false).getBytes()).isEqualTo(4000);
    assertThat(rows("files")).isEqualTo(6);
  }

  @Test
  void quota_countsTheAnnouncedBytesOfOpenUploads() throws Exception {
    var create =
        CreateUploadRequest.newBuilder()
            .setCaller(ORG_A)
            .setFilename("x")
            .setPurpose("batch")
            .setBytes(4000)
            .setMimeType("text/plain");
    var open = new ArrayList<String>();
    for (int i = 0; i < 5; i++) {
      open.add(stub.createUpload(create.build()).getUpload().getId());
    }
    assertCode(() -> stub.createUpload(create.build()), Status.Code.RESOURCE_EXHAUSTED, "file");
    assertThat(stub.createUpload(create.clone().setCaller(ORG_B).build()).getUpload().getBytes())
        .isEqualTo(4000);
    stub.cancelUpload(
        CancelUploadRequest.newBuilder().setCaller(ORG_A).setUploadId(open.getFirst()).build());
    assertThat(stub.createUpload(create.build()).getUpload().getBytes()).isEqualTo(4000);
    assertThat(rows("uploads")).isEqualTo(7);
  }

  @Test
  void overdueUploads_areClosedWithTheirParts_whenTheOrganizationStartsAnother() throws Exception {
    var limits = new FileLimits(4096, 20_000, 1024, 10, 4096, 100, Duration.ofHours(1));
    var now = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());
    var clock =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(now.get());
          }
        };
    var files = new FileService(repository, DirectoryBlobStore.open(blobs), limits, clock);
    var caller = new io.parley.files.domain.Caller("org-a", "user-a");
    for (int i = 0; i < 5; i++) {
      var upload = files.createUpload(caller, "x", "batch", 4000, "text/plain");
      var part = files.receivePart(caller, upload.id());
      part.write(bytes(4000), 0, 4000);
      part.finish();
    }
    assertThat(blobFiles()).isEqualTo(5);
    now.addAndGet(Duration.ofHours(2).toMillis());
    // Without closing the overdue ones, their parts would stay on disk (and, counted, fill the
    // quota): all five are expired and their parts dropped.
    files.createUpload(caller, "x", "batch", 4000, "text/plain");
    assertThat(blobFiles()).isZero();
    assertThat(rows("upload_parts")).isZero();
    try (var c = database.jdbc().dataSource().getConnection();
        var rs =
            c.createStatement()
                .executeQuery("SELECT COUNT(*) FROM uploads WHERE status = 'EXPIRED'")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(5);
    }
  }

  @Test
  void fileInUse_cannotBeDeleted_untilTheUseEnds() throws Exception {
    var file = upload(ORG_A, "t", "batch", bytes(10), false);
    repository.begin(file.getId(), "fine_tuning.job", "ftjob-1");
    var delete = DeleteFileRequest.newBuilder().setCaller(ORG_A).setFileId(file.getId()).build();
    assertThatThrownBy(() -> stub.deleteFile(delete))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(GrpcErrors.parse(e).reason()).isEqualTo("file_in_use");
              assertThat(GrpcErrors.parse(e).message()).contains("fine_tuning.job ftjob-1");
            });
    repository.end(file.getId(), "fine_tuning.job", "ftjob-1");
    assertThat(stub.deleteFile(delete).getDeleted()).isTrue();
  }

  String addPart(Caller caller, String uploadId, byte[] data) throws Exception {
    var result = new CompletableFuture<AddUploadPartResponse>();
    var requests = async.addUploadPart(observer(result));
    requests.onNext(
        AddUploadPartRequest.newBuilder()
            .setTarget(AddUploadPartTarget.newBuilder().setCaller(caller).setUploadId(uploadId))
            .build());
    requests.onNext(AddUploadPartRequest.newBuilder().setData(ByteString.copyFrom(data)).build());
    requests.onCompleted();
    try {
      return result.get(30, TimeUnit.SECONDS).getPart().getId();
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void uploads_threePartsAddedOutOfOrder_completeInTheGivenOrder() throws Exception {
    var whole = bytes(900);
    var upload =
        stub.createUpload(
                CreateUploadRequest.newBuilder()
                    .setCaller(ORG_A)
                    .setFilename("big.bin")
                    .setPurpose("batch")
                    .setBytes(900)
                    .setMimeType("application/octet-stream")
                    .build())
            .getUpload();
    assertThat(upload.getStatus()).isEqualTo(UploadStatus.UPLOAD_STATUS_PENDING);
    var p3 = addPart(ORG_A, upload.getId(), java.util.Arrays.copyOfRange(whole, 600, 900));
    var p1 = addPart(ORG_A, upload.getId(), java.util.Arrays.copyOfRange(whole, 0, 300));
    var p2 = addPart(ORG_A, upload.getId(), java.util.Arrays.copyOfRange(whole, 300, 600));
    assertNotFound(() -> addPart(ORG_B, upload.getId(), bytes(1)));
    var done =
        stub.completeUpload(
                CompleteUploadRequest.newBuilder()
                    .setCaller(ORG_A)
                    .setUploadId(upload.getId())
                    .addAllPartIds(List.of(p1, p2, p3))
                    .build())
            .getUpload();
    assertThat(done.getStatus()).isEqualTo(UploadStatus.UPLOAD_STATUS_COMPLETED);
    assertThat(done.getFile().getBytes()).isEqualTo(900);
    assertThat(content(ORG_A, done.getFile().getId())).isEqualTo(whole);
    assertThat(rows("upload_parts")).isZero();
    assertThat(blobFiles()).isOne();
    assertCode(
        () -> addPart(ORG_A, upload.getId(), bytes(1)), Status.Code.INVALID_ARGUMENT, "upload_id");
  }

  @Test
  void uploads_wrongTotal_orForeignPart_areRefused_andCancelDropsParts() throws Exception {
    var upload =
        stub.createUpload(
                CreateUploadRequest.newBuilder()
                    .setCaller(ORG_A)
                    .setFilename("x")
                    .setPurpose("batch")
                    .setBytes(200)
                    .setMimeType("text/plain")
                    .build())
            .getUpload();
    var p1 = addPart(ORG_A, upload.getId(), bytes(100));
    var complete = CompleteUploadRequest.newBuilder().setCaller(ORG_A).setUploadId(upload.getId());
    assertCode(
        () -> stub.completeUpload(complete.clone().addPartIds(p1).build()),
        Status.Code.INVALID_ARGUMENT,
        "part_ids");
    assertCode(
        () -> stub.completeUpload(complete.clone().addPartIds(p1).addPartIds("part_x").build()),
        Status.Code.INVALID_ARGUMENT,
        "part_ids");
    assertCode(
        () -> addPart(ORG_A, upload.getId(), bytes(150)), Status.Code.INVALID_ARGUMENT, "data");
    var cancelled =
        stub.cancelUpload(
                CancelUploadRequest.newBuilder()
                    .setCaller(ORG_A)
                    .setUploadId(upload.getId())
                    .build())
            .getUpload();
    assertThat(cancelled.getStatus()).isEqualTo(UploadStatus.UPLOAD_STATUS_CANCELLED);
    assertThat(blobFiles()).isZero();
    assertThat(rows("files")).isZero();
  }

  @Test
  void hostileIdsAndStrings_areRefusedAsBadInput_neverAsAStoreFailure() throws Exception {
    var nul = "file-\u0000abc";
    var huge = "file-" + "x".repeat(10_000);
    for (var id : List.of(nul, huge, "../../etc/passwd")) {
      assertNotFound(
          () -> stub.getFile(GetFileRequest.newBuilder().setCaller(ORG_A).setFileId(id).build()));
      assertNotFound(() -> content(ORG_A, id));
      assertNotFound(
          () ->
              stub.deleteFile(
                  DeleteFileRequest.newBuilder().setCaller(ORG_A).setFileId(id).build()));
      assertCode(
          () -> stub.listFiles(ListFilesRequest.newBuilder().setCaller(ORG_A).setAfter(id).build()),
          Status.Code.INVALID_ARGUMENT,
          "after");
      assertNotFound(
          () ->
              stub.cancelUpload(
                  CancelUploadRequest.newBuilder().setCaller(ORG_A).setUploadId(id).build()));
      assertNotFound(
          () ->
              stub.completeUpload(
                  CompleteUploadRequest.newBuilder()
                      .setCaller(ORG_A)
                      .setUploadId(id)
                      .addPartIds("part_x")
                      .build()));
    }
    assertThatThrownBy(
            () ->
                stub.getFile(GetFileRequest.newBuilder().setCaller(ORG_A).setFileId(huge).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).hasSizeLessThan(200));
    for (var purpose : List.of("x\u0000", "p".repeat(10_000), "unknown")) {
      assertCode(
          () ->
              stub.listFiles(
                  ListFilesRequest.newBuilder().setCaller(ORG_A).setPurpose(purpose).build()),
          Status.Code.INVALID_ARGUMENT,
          "purpose");
    }
    for (var mime : List.of("text/\u0000plain", "text/" + "x".repeat(300))) {
      assertCode(
          () ->
              stub.createUpload(
                  CreateUploadRequest.newBuilder()
                      .setCaller(ORG_A)
                      .setFilename("x")
                      .setPurpose("batch")
                      .setBytes(10)
                      .setMimeType(mime)
                      .build()),
          Status.Code.INVALID_ARGUMENT,
          "mime_type");
    }
    for (var name : List.of("a\u0000b", "a\u007fb", "a\u0085b", "n".repeat(100_000))) {
      assertCode(
          () -> upload(ORG_A, name, "user_data", bytes(10), false),
          Status.Code.INVALID_ARGUMENT,
          "file");
    }
    // A path in the name is only a name: the bytes are stored under the file's id.
    var file = upload(ORG_A, "../../../etc/passwd", "user_data", bytes(10), false);
    assertThat(file.getFilename()).isEqualTo("../../../etc/passwd");
    assertThat(content(ORG_A, file.getId())).isEqualTo(bytes(10));
    assertThat(rows("files")).isOne();
    assertThat(rows("uploads")).isZero();
  }

  interface Call {
    Object run() throws Exception;
  }

  static void assertNotFound(Call call) {
    assertCode(call, Status.Code.NOT_FOUND, null);
  }

  static void assertCode(Call call, Status.Code code, String param) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              if (param != null) {
                assertThat(GrpcErrors.parse(e).param()).contains(param);
              }
            });
  }
}
