package io.parley.files.api.grpc;

import static io.parley.common.grpc.security.ServiceIdentity.GATEWAY;
import static io.parley.common.grpc.security.ServiceIdentity.OPERATOR;

import io.parley.common.grpc.security.CallerPolicy;
import io.parley.files.v1.FilesServiceGrpc;
import java.util.List;

/**
 * Who may call each files method. The gateway acts for the organizations it has authenticated, so
 * it may call everything; operators may look at file metadata and storage figures, never at the
 * content of a file nor change anything. Extend with {@code parley.grpc.extra-callers}.
 */
public final class FilesCallers {

  /** The allow-lists. */
  public static final CallerPolicy POLICY =
      CallerPolicy.builder()
          .allow(
              List.of(
                  FilesServiceGrpc.getGetFileMethod(),
                  FilesServiceGrpc.getListFilesMethod(),
                  FilesServiceGrpc.getGetStorageUsageMethod()),
              GATEWAY,
              OPERATOR)
          .allow(
              List.of(
                  FilesServiceGrpc.getUploadFileMethod(),
                  FilesServiceGrpc.getDeleteFileMethod(),
                  FilesServiceGrpc.getGetFileContentMethod(),
                  FilesServiceGrpc.getCreateUploadMethod(),
                  FilesServiceGrpc.getAddUploadPartMethod(),
                  FilesServiceGrpc.getCompleteUploadMethod(),
                  FilesServiceGrpc.getCancelUploadMethod()),
              GATEWAY)
          .build();

  private FilesCallers() {}
}
