package io.parley.gateway.domain;

/** The requested model is not hosted (HTTP 404, {@code model_not_found}). */
public class ModelNotFoundException extends GatewayException {

  /**
   * @param model the model id the client asked for
   */
  public ModelNotFoundException(String model) {
    super(
        404,
        INVALID_REQUEST,
        "model_not_found",
        null,
        "The model `" + shown(model) + "` does not exist or you do not have access to it.");
  }

  /** At most 256 characters of the id (longer ones are never served, and not repeated). */
  private static String shown(String model) {
    return model.length() <= 256 ? model : model.substring(0, 256) + "…";
  }
}
