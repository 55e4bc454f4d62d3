package io.parley.gateway.api.rest;

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
    var requestId = request.getAttribute(RequestIds.PROPERTY);
    if (requestId == null) {
      requestId = RequestIds.next();
      request.setAttribute(RequestIds.PROPERTY, requestId);
    }
    var response =
        toResponse(
            failure,
            request.getMethod(),
            request.getRequestURI(),
            retryAfterSeconds,
            requestId.toString());
    if (failure instanceof WebApplicationException web && web.getResponse().getStatus() == 405) {
      var allow = web.getResponse().getHeaderString(HttpHeaders.ALLOW);
      if (allow != null) {
        return Response.fromResponse(response).header(HttpHeaders.ALLOW, allow).build();
      }
    }
    return response;
  }

  /** The response for a failure (without the headers every response gets). */
  static Response toResponse(
      Throwable failure, String method, String path, int retryAfterSeconds, String requestId) {
    GatewayException error = Errors.classify(failure, method, path, retryAfterSeconds, requestId);
    var response =
        Response.status(error.status())
            .type(MediaType.APPLICATION_JSON_TYPE)
            .entity(Json.bytes(Errors.envelope(error, requestId)));
    error.headers().forEach(response::header);
    return response.build();
  }
}
