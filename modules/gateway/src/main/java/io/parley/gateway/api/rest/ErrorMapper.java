package io.parley.gateway.api.rest;

import io.parley.gateway.domain.ClientClosedRequestException;
import io.parley.gateway.domain.GatewayException;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The one exception mapper: every failure, expected or not, becomes {@code
 * {"error":{"message","type","param","code"}}} with its status and headers. Never a stack trace.
 */
@Provider
public class ErrorMapper implements ExceptionMapper<Throwable> {

  @Context HttpServletRequest request;

  @Inject
  @ConfigProperty(name = "parley.gateway.retry-after-seconds")
  int retryAfterSeconds;

  @Override
  public Response toResponse(Throwable failure) {
    if (failure instanceof ClientClosedRequestException) {
      ContainerInput.release(request);
    }
    var requestId = request.getAttribute(RequestIds.PROPERTY);
    if (requestId == null) {
      requestId = RequestIds.next();
      request.setAttribute(RequestIds.PROPERTY, requestId);
    }
    // For the request's log line when it ends in a 5xx (HttpTelemetryFilter).
    request.setAttribute(HttpTelemetryFilter.FAILURE, failure);
    var reply =
        reply(
            failure,
            request.getMethod(),
            request.getRequestURI(),
            retryAfterSeconds,
            requestId.toString());
    var response =
        Response.status(reply.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(reply.body());
    reply.headers().forEach(response::header);
    if (failure instanceof WebApplicationException web && web.getResponse().getStatus() == 405) {
      var allow = web.getResponse().getHeaderString(HttpHeaders.ALLOW);
      if (allow != null) {
        response.header(HttpHeaders.ALLOW, allow);
      }
    }
    return response.build();
  }

  /**
   * The answer to a failure (without the headers every response gets).
   *
   * @param status HTTP status
   * @param headers extra headers ({@code retry-after})
   * @param body the JSON envelope
   */
  record Reply(int status, Map<String, String> headers, byte[] body) {}

  /** The answer to a failure of a request. */
  static Reply reply(
      Throwable failure, String method, String path, int retryAfterSeconds, String requestId) {
    GatewayException error = Errors.classify(failure, method, path, retryAfterSeconds, requestId);
    return new Reply(
        error.status(), error.headers(), Json.bytes(Errors.envelope(error, requestId)));
  }
}
