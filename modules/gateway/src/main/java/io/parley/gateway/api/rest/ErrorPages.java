package io.parley.gateway.api.rest;

import io.parley.gateway.domain.GatewayException;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The error page of the web application (WEB-INF/web.xml): whatever the servlet container refuses
 * before the REST application sees it (a path it will not map, such as one with an encoded NUL or
 * {@code ..}; a failure outside JAX-RS) is answered with the OpenAI envelope and its 4xx, never
 * Liberty's HTML page. Asked for directly, it is an unknown URL.
 */
@WebServlet(urlPatterns = ErrorPages.PATH)
public class ErrorPages extends HttpServlet {

  /** Where web.xml sends errors. */
  static final String PATH = "/.parley-error";

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    var status = request.getAttribute("jakarta.servlet.error.status_code");
    var uri = request.getAttribute("jakarta.servlet.error.request_uri");
    var path = uri instanceof String s ? s : request.getRequestURI();
    int code = status instanceof Integer i ? i : 404;
    if (code < 400) {
      code = 404;
    }
    write(request, response, error(code, request.getMethod(), path));
  }

  private static GatewayException error(int status, String method, String path) {
    var url = "(" + method + " " + RequestLimits.shown(path == null ? "" : path, 256) + ")";
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
      default ->
          status >= 500
              ? new io.parley.gateway.domain.ServerErrorException("servlet error " + status)
              : new GatewayException(
                  status,
                  GatewayException.INVALID_REQUEST,
                  null,
                  null,
                  "Invalid request " + url + ".");
    };
  }

  /** Writes an error as the envelope, with a request id, unless the response is committed. */
  static void write(HttpServletRequest request, HttpServletResponse response, GatewayException e)
      throws IOException {
    if (response.isCommitted()) {
      return;
    }
    var id = request.getAttribute(RequestIds.PROPERTY);
    if (id == null) {
      id = RequestIds.next();
    }
    response.setStatus(e.status());
    response.setContentType("application/json");
    response.setHeader("x-request-id", id.toString());
    response.setHeader("openai-version", ResponseHeadersFilter.OPENAI_VERSION);
    response.setHeader("X-Content-Type-Options", "nosniff");
    e.headers().forEach(response::setHeader);
    var body = Json.bytes(Errors.envelope(e, id.toString()));
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
