package io.parley.common.telemetry;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * {@code GET /metrics}: this service's meters in the Prometheus text format, for a scraper. It
 * carries nothing secret (labels are method and route templates, status classes and model ids; see
 * {@link Telemetry}); still, with {@code parley.metrics.token-file} set, only a request bearing
 * that token reads it ({@link ScrapeToken}), others get 401.
 */
@WebServlet(urlPatterns = "/metrics", loadOnStartup = 1)
public class MetricsServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  private static final byte[] UNAUTHORIZED =
      ("{\"error\":{\"message\":\"Reading the metrics needs the scrape token (Authorization:"
              + " Bearer).\",\"type\":\"invalid_request_error\",\"param\":null,"
              + "\"code\":\"invalid_api_key\"}}")
          .getBytes(StandardCharsets.UTF_8);

  private transient ScrapeToken token = ScrapeToken.none();

  @Override
  public void init() {
    token =
        ScrapeToken.from(
            ConfigProvider.getConfig().getOptionalValue("parley.metrics.token-file", String.class));
    // Registers the JVM meters at start, so the first scrape already has a history.
    Telemetry.get();
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    response.setHeader("Cache-Control", "no-store");
    if (!token.permits(request.getHeader("Authorization"))) {
      response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
      response.setHeader("WWW-Authenticate", "Bearer realm=\"metrics\"");
      response.setContentType("application/json");
      response.setContentLength(UNAUTHORIZED.length);
      response.getOutputStream().write(UNAUTHORIZED);
      return;
    }
    var body = Telemetry.get().scrape().getBytes(StandardCharsets.UTF_8);
    response.setStatus(HttpServletResponse.SC_OK);
    response.setContentType("text/plain; version=0.0.4; charset=utf-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  @Override
  public void destroy() {
    Telemetry.get().shutdown();
  }
}
