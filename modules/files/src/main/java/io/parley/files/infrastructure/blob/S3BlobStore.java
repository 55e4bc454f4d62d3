package io.parley.files.infrastructure.blob;

import io.parley.files.domain.BlobStore;
import io.parley.files.domain.StoreException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, s3proxy…). A blob is written as a
 * multipart upload whose parts stay invisible until {@link BlobWriter#commit} completes it — S3's
 * atomic "rename" — and an aborted write aborts the multipart upload, so nothing is left behind.
 * Only one part (8 MiB by default) is held in memory per write. Buckets should also expire
 * incomplete multipart uploads (a lifecycle rule) for processes that die mid-upload.
 */
public final class S3BlobStore implements BlobStore {

  private final S3Client s3;
  private final String bucket;
  private final int partBytes;

  private S3BlobStore(S3Client s3, String bucket, int partBytes) {
    this.s3 = s3;
    this.bucket = bucket;
    this.partBytes = partBytes;
  }

  /**
   * Connects to a bucket.
   *
   * @param endpoint the S3 endpoint; empty for AWS's own
   * @param region the region
   * @param pathStyle whether to address the bucket in the path (MinIO, s3proxy)
   * @param accessKey access key; empty for the default AWS credential chain
   * @param secretKey secret key
   * @param bucket the bucket (must exist)
   * @param partBytes bytes per multipart-upload part (at least 5 MiB on AWS)
   */
  public static S3BlobStore open(
      Optional<URI> endpoint,
      String region,
      boolean pathStyle,
      Optional<String> accessKey,
      Optional<String> secretKey,
      String bucket,
      int partBytes) {
    var builder =
        S3Client.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .region(Region.of(region))
            .forcePathStyle(pathStyle)
            // Checksums only where S3 requires them and no aws-chunked bodies: what S3-compatible
            // servers (MinIO, Ceph, s3proxy) accept. SHA-256 of every file is checked on read.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
    endpoint.ifPresent(builder::endpointOverride);
    if (accessKey.isPresent() && secretKey.isPresent()) {
      builder.credentialsProvider(
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(accessKey.get(), secretKey.get())));
    } else {
      builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
    }
    return new S3BlobStore(builder.build(), bucket, partBytes);
  }

  @Override
  public BlobWriter create(String key) {
    try {
      var upload = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
      return new Writer(key, upload);
    } catch (SdkException e) {
      throw new StoreException("Cannot write to the S3 bucket.", e);
    }
  }

  @Override
  public InputStream open(String key) {
    try {
      return s3.getObject(r -> r.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      throw new StoreException("The blob " + key + " is missing from the bucket.", e);
    } catch (SdkException e) {
      throw new StoreException("Cannot read the S3 bucket.", e);
    }
  }

  @Override
  public void delete(String key) {
    try {
      s3.deleteObject(r -> r.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw new StoreException("Cannot delete from the S3 bucket.", e);
    }
  }

  @Override
  public boolean healthy() {
    try {
      s3.headBucket(r -> r.bucket(bucket));
      return true;
    } catch (SdkException e) {
      return false;
    }
  }

  /** Closes the client. */
  public void close() {
    s3.close();
  }

  private final class Writer implements BlobWriter {
    private final String key;
    private final String uploadId;
    private final List<CompletedPart> parts = new ArrayList<>();
    private final byte[] buffer = new byte[partBytes];
    private int filled;
    private boolean committed;
    private boolean aborted;

    Writer(String key, String uploadId) {
      this.key = key;
      this.uploadId = uploadId;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      while (length > 0) {
        int n = Math.min(length, buffer.length - filled);
        System.arraycopy(bytes, offset, buffer, filled, n);
        filled += n;
        offset += n;
        length -= n;
        if (filled == buffer.length) {
          flush();
        }
      }
    }

    private void flush() {
      int number = parts.size() + 1;
      try {
        var etag =
            s3.uploadPart(
                    r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                    RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, filled)))
                .eTag();
        parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
        filled = 0;
      } catch (SdkException e) {
        throw new StoreException("Cannot write to the S3 bucket.", e);
      }
    }

    @Override
    public void commit() {
      if (committed) {
        return;
      }
      if (filled > 0 || parts.isEmpty()) {
        flush();
      }
      try {
        s3.completeMultipartUpload(
            r -> r.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
        committed = true;
      } catch (SdkException e) {
        throw new StoreException("Cannot commit to the S3 bucket.", e);
      }
    }

    @Override
    public void abort() {
      if (committed || aborted) {
        return;
      }
      aborted = true;
      try {
        s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
      } catch (SdkException e) {
        System.getLogger(S3BlobStore.class.getName())
            .log(System.Logger.Level.WARNING, "Could not abort the multipart upload of " + key, e);
      }
    }

    @Override
    public void close() {
      abort();
    }
  }
}
