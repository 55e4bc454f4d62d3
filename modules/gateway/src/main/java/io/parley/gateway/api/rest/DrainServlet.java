package io.parley.gateway.api.rest;

import io.parley.gateway.application.Drain;
import io.parley.gateway.domain.GatewayException;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code POST /drain}: the pod's preStop hook calls it from inside the pod before the server is
 * stopped. The gateway's readiness goes down at once; the call waits {@code min_seconds} (the
 * preStop pause, default 0), then returns once no API request is in flight, or after {@code
 * max_seconds} in all (default {@code parley.gateway.drain.max-seconds}; both at most 3600). Only
 * loopback may call it (a container of the same pod); anyone else gets the 404 of an unknown route,
 * so it can never be used to take a gateway out of rotation from outside.
 */
@WebServlet(urlPatterns = "/drain", loadOnStartup = 1)
public class DrainServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  /** Longest wait a caller may ask for, in seconds. */
  static final int MAX_SECONDS = 3600;

  @Inject transient Drain drain;

  @Inject
  @ConfigProperty(name = "parley.gateway.drain.max-seconds")
  int defaultMaxSeconds;

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if (!fromLoopback(request.getRemoteAddr())) {
      ErrorPages.write(
          request,
          response,
          new GatewayException(
              404,
              GatewayException.INVALID_REQUEST,
              null,
              null,
              "Invalid URL (" + RequestLimits.shown(request.getMethod(), 16) + " /drain)."));
      return;
    }
    if (!"POST".equals(request.getMethod())) {
      ErrorPages.write(
          request,
          response,
          new GatewayException(
              405,
              GatewayException.INVALID_REQUEST,
              null,
              null,
              "Invalid method for URL ("
                  + RequestLimits.shown(request.getMethod(), 16)
                  + " /drain)."));
      return;
    }
    int min;
    int max;
    String param = "min_seconds";
    try {
      min = seconds(request.getParameter(param), 0);
      param = "max_seconds";
      max = seconds(request.getParameter(param), defaultMaxSeconds);
    } catch (IllegalArgumentException e) {
      ErrorPages.write(
          request,
          response,
          new GatewayException(
              400,
              GatewayException.INVALID_REQUEST,
              "invalid_value",
              param,
              param + " must be a whole number of seconds from 0 to " + MAX_SECONDS + "."));
      return;
    }
    int left;
    try {
      left = drain.drain(Duration.ofSeconds(min), Duration.ofSeconds(Math.max(min, max)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      left = drain.inFlight();
    }
    var body = ("{\"draining\":true,\"in_flight\":" + left + "}").getBytes(StandardCharsets.UTF_8);
    response.setStatus(200);
    response.setContentType("application/json");
    response.setHeader("Cache-Control", "no-store");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /** Whether a remote address (an IP literal, as the container gives it) is loopback. */
  static boolean fromLoopback(String remoteAddress) {
    if (remoteAddress == null) {
      return false;
    }
    var address =
        remoteAddress.startsWith("[")
            ? remoteAddress.substring(1, remoteAddress.length() - 1)
            : remoteAddress;
    return address.equals("::1")
        || address.equals("0:0:0:0:0:0:0:1")
        || address.startsWith("127.")
        || address.startsWith("::ffff:127.");
  }

  /**
   * A wait asked for: a whole number of seconds in 0 … {@link #MAX_SECONDS}, or the default.
   *
   * @throws IllegalArgumentException for anything else
   */
  static int seconds(String value, int defaultSeconds) {
    if (value == null || value.isEmpty()) {
      return defaultSeconds;
    }
    if (value.length() > 4 || !value.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(value);
    }
    int seconds = Integer.parseInt(value);
    if (seconds > MAX_SECONDS) {
      throw new IllegalArgumentException(value);
    }
    return seconds;
  }
}
