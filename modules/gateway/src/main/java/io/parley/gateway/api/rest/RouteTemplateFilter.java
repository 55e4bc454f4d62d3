package io.parley.gateway.api.rest;

import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.ext.Provider;
import java.lang.reflect.Method;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Records the template of the route a request matched ({@code /v1/files/{id}}, never the raw path)
 * for {@link HttpTelemetryFilter}'s labels and span name.
 */
@Provider
public class RouteTemplateFilter implements ContainerRequestFilter {

  @Context ResourceInfo resource;

  /** A template's regular expression ({@code {id: .+}}) is not part of its name. */
  private static final Pattern TEMPLATE_REGEX = Pattern.compile("\\{\\s*(\\w+)\\s*:[^}]*}");

  /** Route templates by resource class and method: worked out once per resource method. */
  private static final ConcurrentHashMap<Resource, String> ROUTES = new ConcurrentHashMap<>();

  private record Resource(Class<?> type, Method method) {}

  @Override
  public void filter(ContainerRequestContext request) {
    var type = resource.getResourceClass();
    if (type == null) {
      return;
    }
    var method = resource.getResourceMethod();
    var key = new Resource(type, method);
    var route = ROUTES.get(key);
    if (route == null) {
      route = ROUTES.computeIfAbsent(key, RouteTemplateFilter::route);
    }
    request.setProperty(HttpTelemetryFilter.ROUTE, route);
  }

  private static String route(Resource key) {
    var route = new StringBuilder();
    append(route, key.type().getAnnotation(Path.class));
    if (key.method() != null) {
      append(route, key.method().getAnnotation(Path.class));
    }
    return route.isEmpty() ? "/" : route.toString();
  }

  private static void append(StringBuilder route, Path path) {
    if (path == null) {
      return;
    }
    var value = TEMPLATE_REGEX.matcher(path.value()).replaceAll("{$1}");
    if (!value.startsWith("/")) {
      route.append('/');
    }
    route.append(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
  }
}
