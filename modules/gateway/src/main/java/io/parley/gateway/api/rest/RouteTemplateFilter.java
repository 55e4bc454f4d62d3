package io.parley.gateway.api.rest;

import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.ext.Provider;

/**
 * Records the template of the route a request matched ({@code /v1/files/{id}}, never the raw path)
 * for {@link HttpTelemetryFilter}'s labels and span name.
 */
@Provider
public class RouteTemplateFilter implements ContainerRequestFilter {

  @Context ResourceInfo resource;

  @Override
  public void filter(ContainerRequestContext request) {
    var type = resource.getResourceClass();
    if (type == null) {
      return;
    }
    var route = new StringBuilder();
    append(route, type.getAnnotation(Path.class));
    var method = resource.getResourceMethod();
    if (method != null) {
      append(route, method.getAnnotation(Path.class));
    }
    request.setProperty(HttpTelemetryFilter.ROUTE, route.isEmpty() ? "/" : route.toString());
  }

  private static void append(StringBuilder route, Path path) {
    if (path == null) {
      return;
    }
    var value = path.value();
    // A template's regular expression ({id: .+}) is not part of its name.
    value = value.replaceAll("\\{\\s*(\\w+)\\s*:[^}]*}", "{$1}");
    if (!value.startsWith("/")) {
      route.append('/');
    }
    route.append(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
  }
}
