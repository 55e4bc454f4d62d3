package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.ClientClosedRequestException;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/** Reads a JSON request body: content type, size limit, syntax, an object at the top. */
final class RequestBodies {

  static final String MALFORMED =
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using"
          + " your HTTP library correctly. The API expects a JSON payload, but what was sent was"
          + " not valid JSON.)";

  private static final System.Logger LOG = System.getLogger(RequestBodies.class.getName());

  private RequestBodies() {}

  /**
   * @param contentType the {@code Content-Type} header, or {@code null}
   * @param contentLength the {@code Content-Length} header, or -1
   * @param body the body
   * @param limit the largest body accepted, in bytes
   */
  static ObjectNode read(String contentType, long contentLength, InputStream body, long limit) {
    if (contentType != null && !isJson(contentType)) {
      throw new GatewayException(
          415,
          GatewayException.INVALID_REQUEST,
          "unsupported_media_type",
          null,
          "Invalid Content-Type header ("
              + RequestLimits.shown(contentType)
              + "), expected application/json.");
    }
    if (contentLength > limit) {
      throw tooLarge(limit);
    }
    byte[] bytes = readBounded(body, contentLength, limit);
    try {
      var tree = Json.MAPPER.readTree(bytes);
      if (tree instanceof ObjectNode object) {
        return object;
      }
      if (tree == null || tree.isMissingNode()) {
        throw new InvalidRequestException(MALFORMED, null, null);
      }
      throw new InvalidRequestException(
          "Invalid type for request body: expected an object, but got "
              + Params.describe(tree)
              + " instead.",
          null,
          "invalid_type");
    } catch (IOException e) {
      // JacksonException, and what its encoding detection throws for bytes that look like UTF-16
      // or UTF-32 but are not (CharConversionException): the body is in memory, so no I/O failed.
      throw new InvalidRequestException(MALFORMED, null, null);
    }
  }

  static GatewayException tooLarge(long limit) {
    return new GatewayException(
        413,
        GatewayException.INVALID_REQUEST,
        "request_too_large",
        null,
        "The request body is too large: the limit is " + limit + " bytes.");
  }

  private static boolean isJson(String contentType) {
    var type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return type.equals("application/json") || type.endsWith("+json") || type.equals("*/*");
  }

  /**
   * Reads the body up to {@code limit} bytes. The stream is not closed here: the servlet container
   * owns it (and closing one that failed rethrows the same exception).
   */
  private static byte[] readBounded(InputStream in, long contentLength, long limit) {
    var out = new ByteArrayOutputStream(8192);
    var buffer = new byte[8192];
    long total = 0;
    try {
      int read;
      while ((read = in.read(buffer)) != -1) {
        total += read;
        if (total > limit) {
          throw tooLarge(limit);
        }
        out.write(buffer, 0, read);
      }
    } catch (IOException e) {
      throw clientClosed(e.toString());
    }
    if (contentLength > total) {
      // A stream that ends before its Content-Length: the client went away.
      throw clientClosed(total + " of " + contentLength + " bytes");
    }
    return out.toByteArray();
  }

  /** The client hung up mid-upload: its problem, worth one line for whoever debugs it. */
  private static ClientClosedRequestException clientClosed(String detail) {
    LOG.log(System.Logger.Level.DEBUG, "request body not read to its end: {0}", detail);
    return new ClientClosedRequestException();
  }
}
