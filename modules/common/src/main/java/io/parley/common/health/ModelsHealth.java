package io.parley.common.health;

import java.util.List;
import org.eclipse.microprofile.health.HealthCheckResponse;

/** The readiness answer of a service that serves loaded models. */
public final class ModelsHealth {

  private ModelsHealth() {}

  /**
   * Up once every configured model is loaded; the number loaded and each load failure go into the
   * response data.
   *
   * @param started whether the service has started loading at all
   * @param ready whether every configured model is loaded
   * @param loaded how many models are loaded
   * @param failures why models failed to load, one line each
   */
  public static HealthCheckResponse readiness(
      boolean started, boolean ready, int loaded, List<String> failures) {
    var builder = HealthCheckResponse.named("models");
    if (!started) {
      return builder.down().build();
    }
    builder.status(ready).withData("loaded", loaded);
    for (int i = 0; i < failures.size(); i++) {
      builder.withData("failure." + i, failures.get(i));
    }
    return builder.build();
  }
}
