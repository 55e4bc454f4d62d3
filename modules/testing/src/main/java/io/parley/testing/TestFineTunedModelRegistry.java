package io.parley.testing;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.parley.finetuning.v1.DeleteFineTunedModelRequest;
import io.parley.finetuning.v1.DeleteFineTunedModelResponse;
import io.parley.finetuning.v1.FineTunedModel;
import io.parley.finetuning.v1.FineTuningServiceGrpc;
import io.parley.finetuning.v1.GetAdapterContentRequest;
import io.parley.finetuning.v1.GetAdapterContentResponse;
import io.parley.finetuning.v1.GetFineTunedModelRequest;
import io.parley.finetuning.v1.GetFineTunedModelResponse;
import io.parley.finetuning.v1.ListFineTunedModelsRequest;
import io.parley.finetuning.v1.ListFineTunedModelsResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test fixture standing in for the files service's fine-tuned model registry: the registry RPCs
 * of {@code parley.finetuning.v1.FineTuningService} ({@code ListFineTunedModels}, {@code
 * GetFineTunedModel}, {@code DeleteFineTunedModel}, {@code GetAdapterContent}) over an in-memory
 * map of models whose adapters are files on disk; the job RPCs are UNIMPLEMENTED. A model of
 * another organization is NOT_FOUND, as the contract says. Serve it with a real gRPC server.
 */
public final class TestFineTunedModelRegistry
    extends FineTuningServiceGrpc.FineTuningServiceImplBase {

  private record Entry(FineTunedModel model, Path adapter) {}

  private final Map<String, Entry> models = new ConcurrentHashMap<>();
  private final AtomicInteger contentCalls = new AtomicInteger();
  private final int chunkBytes;

  /**
   * @param chunkBytes bytes per {@code GetAdapterContent} message
   */
  public TestFineTunedModelRegistry(int chunkBytes) {
    this.chunkBytes = chunkBytes;
  }

  /** Registers (or replaces) a model whose adapter is {@code adapter}; returns what is served. */
  public FineTunedModel register(String id, String organization, String baseModel, Path adapter) {
    try {
      byte[] bytes = Files.readAllBytes(adapter);
      return register(id, organization, baseModel, adapter, sha256(bytes), bytes.length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Registers a model announcing the given SHA-256 and size, whatever the file holds. */
  public FineTunedModel register(
      String id, String organization, String baseModel, Path adapter, String sha256, long bytes) {
    var model =
        FineTunedModel.newBuilder()
            .setId(id)
            .setOrganization(organization)
            .setBaseModel(baseModel)
            .setCreatedAt(Instant.now().getEpochSecond())
            .setJobId("ftjob-" + Integer.toHexString(id.hashCode()))
            .setAdapterSha256(sha256)
            .setAdapterBytes(bytes)
            .build();
    models.put(id, new Entry(model, adapter));
    return model;
  }

  /** Removes a model (as a deletion through the API would). */
  public boolean remove(String id) {
    return models.remove(id) != null;
  }

  /** How many {@code GetAdapterContent} calls were made. */
  public int contentCalls() {
    return contentCalls.get();
  }

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Entry owned(String organization, String id) {
    var entry = models.get(id);
    if (entry == null || !entry.model().getOrganization().equals(organization)) {
      throw Status.NOT_FOUND.withDescription("No fine-tuned model " + id).asRuntimeException();
    }
    return entry;
  }

  @Override
  public void listFineTunedModels(
      ListFineTunedModelsRequest request, StreamObserver<ListFineTunedModelsResponse> observer) {
    var response = ListFineTunedModelsResponse.newBuilder();
    models.values().stream()
        .map(Entry::model)
        .filter(m -> m.getOrganization().equals(request.getOrganization()))
        .sorted(java.util.Comparator.comparing(FineTunedModel::getId))
        .forEach(response::addModels);
    observer.onNext(response.build());
    observer.onCompleted();
  }

  @Override
  public void getFineTunedModel(
      GetFineTunedModelRequest request, StreamObserver<GetFineTunedModelResponse> observer) {
    try {
      var entry = owned(request.getOrganization(), request.getModel());
      observer.onNext(GetFineTunedModelResponse.newBuilder().setModel(entry.model()).build());
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(e);
    }
  }

  @Override
  public void deleteFineTunedModel(
      DeleteFineTunedModelRequest request, StreamObserver<DeleteFineTunedModelResponse> observer) {
    try {
      owned(request.getOrganization(), request.getModel());
      models.remove(request.getModel());
      observer.onNext(
          DeleteFineTunedModelResponse.newBuilder()
              .setModel(request.getModel())
              .setDeleted(true)
              .build());
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(e);
    }
  }

  @Override
  public void getAdapterContent(
      GetAdapterContentRequest request, StreamObserver<GetAdapterContentResponse> observer) {
    contentCalls.incrementAndGet();
    try {
      var entry = owned(request.getOrganization(), request.getModel());
      try (InputStream in = Files.newInputStream(entry.adapter())) {
        byte[] buf = new byte[chunkBytes];
        int n;
        while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
          observer.onNext(
              GetAdapterContentResponse.newBuilder()
                  .setData(ByteString.copyFrom(buf, 0, n))
                  .build());
        }
      }
      observer.onCompleted();
    } catch (IOException e) {
      observer.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
    } catch (RuntimeException e) {
      observer.onError(e);
    }
  }
}
