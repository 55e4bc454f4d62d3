package io.parley.gateway.api.rest;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

/** What the generation resources share: request id, body length, response building. */
final class GenerationEndpoint {

  private GenerationEndpoint() {}

  /**
   * What a generation endpoint answers: a JSON body, or a stream of events.
   *
   * @param json the JSON body, or {@code null} for a stream
   * @param stream the event stream, or {@code null} for JSON
   */
  record Reply(byte[] json, StreamingOutput stream) {

    static Reply json(Object body) {
      return new Reply(Json.bytes(body), null);
    }

    static Reply stream(StreamingOutput stream) {
      return new Reply(null, stream);
    }

    /** As a JAX-RS response. */
    Response toResponse() {
      if (json != null) {
        return Response.ok(json, MediaType.APPLICATION_JSON_TYPE).build();
      }
      var noCache = new CacheControl();
      noCache.setNoCache(true);
      return Response.ok(stream, "text/event-stream").cacheControl(noCache).build();
    }
  }

  static String requestId(HttpServletRequest request) {
    var id = request.getAttribute(RequestIds.PROPERTY);
    if (id == null) {
      id = RequestIds.next();
      request.setAttribute(RequestIds.PROPERTY, id);
    }
    return id.toString();
  }

  static long contentLength(HttpHeaders headers) {
    var value = headers.getHeaderString(HttpHeaders.CONTENT_LENGTH);
    try {
      return value == null ? -1 : Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static long now() {
    return System.currentTimeMillis() / 1000;
  }
}
