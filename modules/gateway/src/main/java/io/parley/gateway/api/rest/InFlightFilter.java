package io.parley.gateway.api.rest;

import io.parley.gateway.application.Drain;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Counts the API requests in flight for {@link Drain}. A streamed answer runs inside the chain on
 * its request's thread, so a request counts until its last event is written.
 */
@WebFilter(urlPatterns = "/v1/*", asyncSupported = true)
public class InFlightFilter extends HttpFilter {

  private static final long serialVersionUID = 1L;

  @Inject transient Drain drain;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    drain.enter();
    try {
      chain.doFilter(request, response);
    } finally {
      drain.exit();
    }
  }
}
