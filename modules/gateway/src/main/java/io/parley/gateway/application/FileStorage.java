package io.parley.gateway.application;

import io.parley.files.v1.AddUploadPartResponse;
import io.parley.files.v1.CompleteUploadRequest;
import io.parley.files.v1.CreateUploadRequest;
import io.parley.files.v1.File;
import io.parley.files.v1.GetStorageUsageResponse;
import io.parley.files.v1.ListFilesRequest;
import io.parley.files.v1.ListFilesResponse;
import io.parley.files.v1.SortOrder;
import io.parley.files.v1.Upload;
import io.parley.files.v1.UploadFileResponse;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.Role;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;

/**
 * The files use cases of the gateway: every call runs in the caller's organization (the files
 * service answers 404 for another organization's files). Readers and owners alike may upload, read
 * and delete files, as members may on OpenAI; deleting a file a running job uses is refused by the
 * files service (409).
 */
@ApplicationScoped
public class FileStorage {

  private FileBackend backend;

  /** For CDI proxies. */
  protected FileStorage() {}

  @Inject
  public FileStorage(FileBackend backend) {
    this.backend = backend;
  }

  private static io.parley.files.v1.Caller of(Caller caller) {
    caller.require(Role.READER);
    return io.parley.files.v1.Caller.newBuilder()
        .setOrganization(caller.organization())
        .setUser(caller.user() == null ? "" : caller.user())
        .build();
  }

  /** Starts streaming a file; {@code purpose} empty when it follows the bytes. */
  public FileBackend.ByteSink<UploadFileResponse> upload(
      Caller caller, String filename, String purpose) {
    return backend.upload(of(caller), filename, purpose);
  }

  /** One file. */
  public File get(Caller caller, String id) {
    return backend.get(of(caller), id);
  }

  /** A page of files. */
  public ListFilesResponse list(
      Caller caller,
      Optional<String> purpose,
      int limit,
      boolean ascending,
      Optional<String> after) {
    var request =
        ListFilesRequest.newBuilder()
            .setCaller(of(caller))
            .setLimit(limit)
            .setOrder(ascending ? SortOrder.SORT_ORDER_ASC : SortOrder.SORT_ORDER_DESC);
    purpose.ifPresent(request::setPurpose);
    after.ifPresent(request::setAfter);
    return backend.list(request.build());
  }

  /** Deletes a file. */
  public void delete(Caller caller, String id) {
    backend.delete(of(caller), id);
  }

  /** A file's bytes. */
  public FileBackend.ByteSource download(Caller caller, String id) {
    return backend.download(of(caller), id);
  }

  /** Starts a multi-part upload. */
  public Upload createUpload(
      Caller caller, String filename, String purpose, long bytes, String mimeType) {
    return backend
        .createUpload(
            CreateUploadRequest.newBuilder()
                .setCaller(of(caller))
                .setFilename(filename)
                .setPurpose(purpose)
                .setBytes(bytes)
                .setMimeType(mimeType)
                .build())
        .getUpload();
  }

  /** Starts streaming a part. */
  public FileBackend.ByteSink<AddUploadPartResponse> addPart(Caller caller, String uploadId) {
    return backend.addPart(of(caller), uploadId);
  }

  /** Completes an upload with its parts in order. */
  public Upload complete(
      Caller caller, String uploadId, List<String> partIds, Optional<String> md5) {
    var request =
        CompleteUploadRequest.newBuilder()
            .setCaller(of(caller))
            .setUploadId(uploadId)
            .addAllPartIds(partIds);
    md5.ifPresent(request::setMd5);
    return backend.completeUpload(request.build()).getUpload();
  }

  /** Cancels an upload. */
  public Upload cancel(Caller caller, String uploadId) {
    return backend.cancelUpload(of(caller), uploadId).getUpload();
  }

  /** What the caller's organization stores. */
  public GetStorageUsageResponse storage(Caller caller) {
    return backend.storage(of(caller));
  }
}
