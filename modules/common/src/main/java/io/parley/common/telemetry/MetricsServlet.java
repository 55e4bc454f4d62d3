package io.parley.common.telemetry;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: this service's meters in the Prometheus text format, for a scraper. It
 * needs no credentials and carries nothing secret: labels are method and route templates, status
 * classes and model ids (see {@link Telemetry}).
 */
@WebServlet(urlPatterns = "/metrics", loadOnStartup = 1)
public class MetricsServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  @Override
  public void init() {
    // Registers the JVM meters at start, so the first scrape already has a history.
    Telemetry.get();
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    var body = Telemetry.get().scrape().getBytes(StandardCharsets.UTF_8);
    response.setStatus(HttpServletResponse.SC_OK);
    response.setContentType("text/plain; version=0.0.4; charset=utf-8");
    response.setHeader("Cache-Control", "no-store");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  @Override
  public void destroy() {
    Telemetry.get().shutdown();
  }
}
