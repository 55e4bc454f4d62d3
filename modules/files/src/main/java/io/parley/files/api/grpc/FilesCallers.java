package io.parley.files.api.grpc;

import static io.parley.common.grpc.security.ServiceIdentity.GATEWAY;
import static io.parley.common.grpc.security.ServiceIdentity.INFERENCE;
import static io.parley.common.grpc.security.ServiceIdentity.OPERATOR;

import io.parley.common.grpc.security.CallerPolicy;
import io.parley.files.v1.FilesServiceGrpc;
import io.parley.finetuning.v1.FineTuningServiceGrpc;
import java.util.List;

/**
 * Who may call each files method. The gateway acts for the organizations it has authenticated, so
 * it may call everything; operators may look at file metadata and storage figures, never at the
 * content of a file nor change anything. Fine-tuning: the gateway calls every method; operators may
 * read jobs; the inference service may only read a fine-tuned model and its adapter (to serve it).
 * Extend with {@code parley.grpc.extra-callers}.
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
          .allow(
              List.of(
                  FineTuningServiceGrpc.getGetJobMethod(),
                  FineTuningServiceGrpc.getListJobsMethod(),
                  FineTuningServiceGrpc.getListJobEventsMethod(),
                  FineTuningServiceGrpc.getListJobCheckpointsMethod()),
              GATEWAY,
              OPERATOR)
          .allow(
              List.of(
                  FineTuningServiceGrpc.getCreateJobMethod(),
                  FineTuningServiceGrpc.getCancelJobMethod(),
                  FineTuningServiceGrpc.getPauseJobMethod(),
                  FineTuningServiceGrpc.getResumeJobMethod(),
                  FineTuningServiceGrpc.getListFineTunedModelsMethod(),
                  FineTuningServiceGrpc.getDeleteFineTunedModelMethod()),
              GATEWAY)
          .allow(
              List.of(
                  FineTuningServiceGrpc.getGetFineTunedModelMethod(),
                  FineTuningServiceGrpc.getGetAdapterContentMethod()),
              GATEWAY,
              INFERENCE)
          .build();

  private FilesCallers() {}
}
