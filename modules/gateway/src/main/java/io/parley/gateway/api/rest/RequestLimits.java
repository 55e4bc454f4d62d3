package io.parley.gateway.api.rest;

import com.google.protobuf.MessageLite;
import io.parley.gateway.domain.GatewayException;

/**
 * The lengths and counts the gateway accepts in a request, checked while parsing, before any call
 * to another service (docs/api-conformance.md lists them). A value past a limit is a 400 naming the
 * parameter; a request whose gRPC message would exceed what the services accept is a 413.
 */
final class RequestLimits {

  /** Longest model id: the usage ledger stores it in a {@code VARCHAR(256)}. */
  static final int MODEL_ID_CHARS = 256;

  /** Longest {@code user}. */
  static final int USER_CHARS = 256;

  /** Longest stop string. */
  static final int STOP_CHARS = 256;

  /** Most {@code messages} in one chat completion. */
  static final int MESSAGES = 2048;

  /** Most content parts in one message. */
  static final int CONTENT_PARTS = 1024;

  /** Most {@code logit_bias} entries. */
  static final int LOGIT_BIAS_ENTRIES = 1024;

  /** Most moderation inputs in one request (the safety service may allow fewer). */
  static final int MODERATION_INPUTS = 2048;

  /**
   * Largest gRPC message the gateway sends: grpc-java's default inbound limit (4 MiB), which every
   * Parley gRPC server keeps. The default body limit is the same, so an accepted body fits; this
   * check holds when an operator raises the body limit.
   */
  static final int GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;

  /** Most characters of a client's value repeated in an error message. */
  static final int SHOWN_CHARS = 64;

  private RequestLimits() {}

  /**
   * Fails with 413 when a message is larger than the services accept.
   *
   * @param message the request about to be sent
   * @param service the service it goes to, for the message
   */
  static <M extends MessageLite> M fitsGrpc(M message, String service) {
    int size = message.getSerializedSize();
    if (size > GRPC_MESSAGE_BYTES) {
      throw new GatewayException(
          413,
          GatewayException.INVALID_REQUEST,
          "request_too_large",
          null,
          "The request is too large: it takes "
              + size
              + " bytes for the "
              + service
              + " service, which accepts at most "
              + GRPC_MESSAGE_BYTES
              + " bytes.");
    }
    return message;
  }

  /** A client's value as an error message may repeat it: at most {@link #SHOWN_CHARS}. */
  static String shown(String value) {
    return shown(value, SHOWN_CHARS);
  }

  /** At most {@code max} characters of a client's value, marked when shortened. */
  static String shown(String value, int max) {
    if (value.length() <= max) {
      return value;
    }
    int end = max;
    if (Character.isHighSurrogate(value.charAt(end - 1))) {
      end--;
    }
    return value.substring(0, end) + "…";
  }
}
