package io.parley.common.telemetry;

import io.grpc.Metadata;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

/** Reads and writes trace context headers ({@code traceparent}) in gRPC metadata. */
final class GrpcMetadata implements TextMapGetter<Metadata>, TextMapSetter<Metadata> {

  static final GrpcMetadata INSTANCE = new GrpcMetadata();

  private GrpcMetadata() {}

  @Override
  public Iterable<String> keys(Metadata carrier) {
    return carrier.keys();
  }

  @Override
  public String get(Metadata carrier, String key) {
    if (carrier == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      return null;
    }
    return carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
  }

  @Override
  public void set(Metadata carrier, String key, String value) {
    if (carrier == null) {
      return;
    }
    var k = Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
    carrier.removeAll(k);
    carrier.put(k, value);
  }
}
