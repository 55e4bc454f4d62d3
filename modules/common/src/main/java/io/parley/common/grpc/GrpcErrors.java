package io.parley.common.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one mapping between service errors and gRPC statuses. Servers describe a failure with {@link
 * #toException}; clients read it back with {@link #parse}. The reason travels as a {@code
 * google.rpc.ErrorInfo} in the status details, so no error text is parsed.
 */
public final class GrpcErrors {

  /** ErrorInfo domain of every Parley error. */
  public static final String DOMAIN = "parley.io";

  /** Metadata key: the request field at fault. */
  public static final String PARAM = "param";

  /** Metadata key: the OpenAI error type. */
  public static final String TYPE = "type";

  /**
   * Reason of a call refused because the calling service presented no platform identity ({@code
   * UNAUTHENTICATED}): a deployment fault, never the API user's.
   */
  public static final String CALLER_UNAUTHENTICATED = "caller_unauthenticated";

  /**
   * Reason of a call refused because the calling service's identity is not on the method's
   * allow-list ({@code PERMISSION_DENIED}): a deployment fault, never the API user's.
   */
  public static final String CALLER_NOT_ALLOWED = "caller_not_allowed";

  /**
   * Most characters of an error message sent. The message travels twice in the trailers ({@code
   * grpc-message}, percent-encoded, and {@code grpc-status-details-bin}, base64), and a client
   * refuses trailers over 8 KiB: a message that repeats a long input must not turn a client error
   * into a transport failure.
   */
  public static final int MAX_MESSAGE_CHARS = 512;

  /** Most characters of one metadata value sent. */
  public static final int MAX_METADATA_CHARS = 128;

  private GrpcErrors() {}

  /**
   * Builds the exception a gRPC server throws (or passes to {@code onError}) for a failure.
   *
   * @param code status code (for example {@code NOT_FOUND}, {@code INVALID_ARGUMENT})
   * @param reason OpenAI error code, such as {@code model_not_found}
   * @param message message safe to show to API users
   * @param metadata extra detail ({@link #PARAM}, {@link #TYPE})
   */
  public static StatusRuntimeException toException(
      Status.Code code, String reason, String message, Map<String, String> metadata) {
    var info =
        ErrorInfo.newBuilder().setReason(truncate(reason, MAX_METADATA_CHARS)).setDomain(DOMAIN);
    metadata.forEach(
        (key, value) ->
            info.putMetadata(
                truncate(key, MAX_METADATA_CHARS), truncate(value, MAX_METADATA_CHARS)));
    var status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(truncate(message, MAX_MESSAGE_CHARS))
            .addDetails(com.google.protobuf.Any.pack(info.build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /**
   * Builds the exception for a service error of a known kind. An {@link Failure#INTERNAL} failure
   * is sent with reason {@code server_error} and the given safe message only: internals are for the
   * service's log, never for the caller.
   *
   * @param failure the kind of failure (status code and OpenAI type)
   * @param reason the OpenAI error code
   * @param message the message safe to show to API users
   * @param param the request field at fault, if any
   */
  public static StatusRuntimeException toException(
      Failure failure, String reason, String message, java.util.Optional<String> param) {
    var metadata = new LinkedHashMap<String, String>();
    param.ifPresent(p -> metadata.put(PARAM, p));
    metadata.put(TYPE, failure.type());
    return toException(
        failure.code(), failure == Failure.INTERNAL ? "server_error" : reason, message, metadata);
  }

  /** At most {@code max} characters of a text, marked when shortened (never a split pair). */
  static String truncate(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "…";
  }

  /**
   * Whether a failure is the server refusing the calling service itself (its mutual-TLS identity),
   * as opposed to refusing what the call asked for.
   */
  public static boolean isCallerRefusal(RemoteError error) {
    return (error.code() == Status.Code.UNAUTHENTICATED
            && CALLER_UNAUTHENTICATED.equals(error.reason()))
        || (error.code() == Status.Code.PERMISSION_DENIED
            && CALLER_NOT_ALLOWED.equals(error.reason()));
  }

  /**
   * Reads a failure of a gRPC call. Statuses without an ErrorInfo (transport failures, deadlines)
   * get an empty reason and the status description as message.
   */
  public static RemoteError parse(Throwable failure) {
    var status = Status.fromThrowable(failure);
    var proto = StatusProto.fromThrowable(failure);
    if (proto != null) {
      for (var detail : proto.getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          try {
            var info = detail.unpack(ErrorInfo.class);
            return new RemoteError(
                status.getCode(),
                info.getReason(),
                proto.getMessage(),
                new LinkedHashMap<>(info.getMetadataMap()));
          } catch (InvalidProtocolBufferException e) {
            break;
          }
        }
      }
    }
    var description = status.getDescription() == null ? "" : status.getDescription();
    return new RemoteError(status.getCode(), "", description, Map.of());
  }
}
