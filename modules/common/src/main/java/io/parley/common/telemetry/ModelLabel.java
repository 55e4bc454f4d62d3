package io.parley.common.telemetry;

/**
 * The value of a {@code model} label: the id of a hosted model as it is, and a fine-tuned model as
 * {@code ft:<base>}, so that labels never carry an organization and their number stays bounded by
 * the number of base models.
 */
public final class ModelLabel {

  private static final int MAX_CHARS = 64;

  private ModelLabel() {}

  /**
   * The label for a model id.
   *
   * @param model a model id ({@code stories260K}, {@code ft:stories260K:org-x:s:ftjob-1}, {@code
   *     stories260K:ft-org-x-2026-01-01})
   */
  public static String of(String model) {
    if (model == null || model.isBlank()) {
      return "unknown";
    }
    String label;
    if (model.startsWith("ft:")) {
      var parts = model.split(":", 3);
      label = "ft:" + (parts.length > 1 ? parts[1] : "");
    } else if (model.contains(":ft-")) {
      label = "ft:" + model.substring(0, model.indexOf(":ft-"));
    } else {
      label = model;
    }
    return label.length() > MAX_CHARS ? label.substring(0, MAX_CHARS) : label;
  }
}
