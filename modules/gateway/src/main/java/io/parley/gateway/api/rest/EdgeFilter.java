package io.parley.gateway.api.rest;

import io.parley.gateway.domain.GatewayException;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The browser-facing edge, before anything else (authentication included): {@code
 * X-Content-Type-Options: nosniff} on every response, {@code Cache-Control: no-store} on every
 * {@code /v1} response (some carry secrets, such as a new API key), and CORS for the origins in
 * {@code parley.gateway.cors.allowed-origins} (none by default). A preflight ({@code OPTIONS} with
 * {@code Access-Control-Request-Method}) from an allowed origin is answered here, without a key;
 * one from any other origin gets a 403 envelope and no CORS headers.
 */
@WebFilter(urlPatterns = "/*", asyncSupported = true)
public class EdgeFilter extends HttpFilter {

  /** Methods the API has. */
  static final String ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS";

  /** Response headers a browser script may read. */
  static final String EXPOSED_HEADERS =
      String.join(
          ", ",
          "x-request-id",
          "openai-organization",
          "openai-processing-ms",
          "openai-version",
          "x-ratelimit-limit-requests",
          "x-ratelimit-limit-tokens",
          "x-ratelimit-remaining-requests",
          "x-ratelimit-remaining-tokens",
          "x-ratelimit-reset-requests",
          "x-ratelimit-reset-tokens",
          "retry-after",
          "x-should-retry");

  /** A list of header names, as {@code Access-Control-Request-Headers} carries it. */
  private static final Pattern HEADER_NAMES =
      Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+(\\s*,\\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*");

  private static final int MAX_REQUEST_HEADERS_CHARS = 2048;

  @Inject
  @ConfigProperty(name = "parley.gateway.cors.allowed-origins")
  Optional<String> allowedOrigins;

  @Inject
  @ConfigProperty(name = "parley.gateway.cors.max-age-seconds")
  int maxAgeSeconds;

  private transient volatile List<String> origins;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    var headers = new LinkedHashMap<String, String>();
    headers.put("X-Content-Type-Options", "nosniff");
    var path = request.getRequestURI();
    if (path != null && (path.equals("/v1") || path.startsWith("/v1/"))) {
      headers.put("Cache-Control", "no-store");
    }
    var origin = request.getHeader("Origin");
    if (origin != null) {
      boolean allowed = allowed(origin);
      if (isPreflight(request)) {
        headers.forEach(response::setHeader);
        preflight(request, response, origin, allowed);
        return;
      }
      if (allowed) {
        headers.put("Access-Control-Allow-Origin", origin);
        headers.put("Access-Control-Expose-Headers", EXPOSED_HEADERS);
      }
    }
    if (!origins().isEmpty()) {
      headers.put("Vary", "Origin");
    }
    headers.forEach(response::setHeader);
    chain.doFilter(request, new EdgeResponse(response, headers));
  }

  /**
   * Keeps the edge headers when the REST layer resets the response to write an error (RESTEasy
   * does), so an error is as readable cross-origin, and as uncached, as a success.
   */
  private static final class EdgeResponse extends HttpServletResponseWrapper {

    private final Map<String, String> headers;

    EdgeResponse(HttpServletResponse response, Map<String, String> headers) {
      super(response);
      this.headers = headers;
    }

    @Override
    public void reset() {
      super.reset();
      headers.forEach(this::setHeader);
    }
  }

  private void preflight(
      HttpServletRequest request, HttpServletResponse response, String origin, boolean allowed)
      throws IOException {
    response.addHeader("Vary", "Origin");
    if (!allowed) {
      ErrorPages.write(
          request,
          response,
          new GatewayException(
              403,
              GatewayException.INVALID_REQUEST,
              "origin_not_allowed",
              null,
              "Cross-origin requests from this origin are not allowed."));
      return;
    }
    response.setStatus(HttpServletResponse.SC_NO_CONTENT);
    response.setHeader("Access-Control-Allow-Origin", origin);
    response.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
    var requested = request.getHeader("Access-Control-Request-Headers");
    if (requested != null
        && requested.length() <= MAX_REQUEST_HEADERS_CHARS
        && HEADER_NAMES.matcher(requested.strip()).matches()) {
      // The origin is trusted: it may send the headers it asks for (the SDKs send their own).
      response.setHeader("Access-Control-Allow-Headers", requested.strip());
    } else {
      response.setHeader(
          "Access-Control-Allow-Headers", "Authorization, Content-Type, OpenAI-Organization");
    }
    response.setHeader("Access-Control-Max-Age", Integer.toString(maxAgeSeconds));
  }

  private static boolean isPreflight(HttpServletRequest request) {
    return "OPTIONS".equals(request.getMethod())
        && request.getHeader("Access-Control-Request-Method") != null;
  }

  private boolean allowed(String origin) {
    var origins = origins();
    return origins.contains("*") || origins.contains(origin);
  }

  /** The allowed origins, parsed from the configuration once. */
  private List<String> origins() {
    var parsed = origins;
    if (parsed == null) {
      parsed =
          allowedOrigins
              .map(value -> Arrays.stream(value.split(",")).map(String::strip))
              .orElseGet(java.util.stream.Stream::empty)
              .filter(s -> !s.isEmpty())
              .toList();
      origins = parsed;
    }
    return parsed;
  }
}
