package io.parley.gateway.api.rest;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

/** What the generation resources share: request id, body length, response building. */
final class GenerationEndpoint {

  static final MediaType EVENT_STREAM = MediaType.valueOf("text/event-stream");

  private GenerationEndpoint() {}

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

  static Response json(Object body) {
    return Response.ok(Json.bytes(body), MediaType.APPLICATION_JSON_TYPE).build();
  }

  static Response stream(StreamingOutput output) {
    var noCache = new CacheControl();
    noCache.setNoCache(true);
    return Response.ok(output, EVENT_STREAM).cacheControl(noCache).build();
  }

  static long now() {
    return System.currentTimeMillis() / 1000;
  }
}
