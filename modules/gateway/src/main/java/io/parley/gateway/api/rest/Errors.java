package io.parley.gateway.api.rest;

import io.parley.gateway.api.rest.dto.ErrorEnvelope;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.OverloadedException;
import io.parley.gateway.domain.ServerErrorException;
import io.parley.gateway.domain.ServiceUnavailableException;
import jakarta.ws.rs.WebApplicationException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Turns any failure into a {@link GatewayException} and that into OpenAI's error envelope. Used by
 * the exception mapper and by streams that fail after the 200, so both say the same thing.
 */
final class Errors {

  private static final Logger LOG = Logger.getLogger(Errors.class.getName());

  private Errors() {}

  /**
   * @param failure what went wrong
   * @param method HTTP method of the request (for 404/405 messages)
   * @param path request path (for 404/405 messages)
   * @param retryAfterSeconds {@code retry-after} of transient failures
   * @param requestId id of the request (logged with unexpected failures)
   */
  static GatewayException classify(
      Throwable failure, String method, String path, int retryAfterSeconds, String requestId) {
    return switch (failure) {
      case GatewayException known -> {
        if (known instanceof ServerErrorException server) {
          LOG.warning(() -> requestId + ": " + server.detail());
        }
        yield known;
      }
      case CircuitBreakerOpenException open ->
          ServiceUnavailableException.inference(retryAfterSeconds);
      case TimeoutException timeout -> ServiceUnavailableException.inference(retryAfterSeconds);
      case BulkheadException full ->
          new OverloadedException(
              "The gateway is handling too many requests. Please retry shortly.",
              retryAfterSeconds);
      case WebApplicationException web -> fromStatus(web, method, path, requestId);
      default -> {
        LOG.log(Level.SEVERE, requestId + ": unexpected failure", failure);
        yield new ServerErrorException(failure.toString());
      }
    };
  }

  private static GatewayException fromStatus(
      WebApplicationException web, String method, String path, String requestId) {
    int status = web.getResponse().getStatus();
    String url = "(" + method + " " + RequestLimits.shown(path, 256) + ")";
    return switch (status) {
      case 404 ->
          new GatewayException(
              404, GatewayException.INVALID_REQUEST, null, null, "Invalid URL " + url + ".");
      case 405 ->
          new GatewayException(
              405,
              GatewayException.INVALID_REQUEST,
              null,
              null,
              "Invalid method for URL " + url + ".");
      case 406 ->
          new GatewayException(
              406,
              GatewayException.INVALID_REQUEST,
              null,
              null,
              "The Accept header asks for a media type this endpoint does not produce.");
      case 415 ->
          new GatewayException(
              415,
              GatewayException.INVALID_REQUEST,
              "unsupported_media_type",
              null,
              "Invalid Content-Type header, expected application/json.");
      default -> {
        if (status >= 500) {
          LOG.log(Level.WARNING, requestId + ": " + web, web);
          yield new ServerErrorException(web.toString());
        }
        yield new GatewayException(
            status, GatewayException.INVALID_REQUEST, null, null, "Invalid request " + url + ".");
      }
    };
  }

  /** The envelope of an error; a 500 only says it happened, and the request id. */
  static ErrorEnvelope envelope(GatewayException error, String requestId) {
    var message =
        error instanceof ServerErrorException
            ? ServerErrorException.MESSAGE
                + " (Please include the request ID "
                + requestId
                + " if you report this error.)"
            : error.getMessage();
    return new ErrorEnvelope(
        new ErrorEnvelope.ErrorBody(
            message, error.type(), error.param().orElse(null), error.code().orElse(null)));
  }
}
