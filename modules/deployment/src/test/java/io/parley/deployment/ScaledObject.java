package io.parley.deployment;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import java.util.List;
import java.util.Map;

/**
 * A KEDA {@code keda.sh/v1alpha1} ScaledObject with the fields the chart may set (KEDA's API
 * names), so that strict parsing rejects anything else.
 */
public final class ScaledObject extends CustomResource<ScaledObject.Spec> {

  /** The ScaledObject spec (KEDA 2.x). */
  public record Spec(
      ScaleTargetRef scaleTargetRef,
      Integer minReplicaCount,
      Integer maxReplicaCount,
      Integer pollingInterval,
      Integer cooldownPeriod,
      Advanced advanced,
      List<Trigger> triggers) {}

  /** The scaled workload. */
  public record ScaleTargetRef(String apiVersion, String kind, String name) {}

  /** Settings passed on to the HPA KEDA creates. */
  public record Advanced(HorizontalPodAutoscalerConfig horizontalPodAutoscalerConfig) {}

  /** The HPA's behavior. */
  public record HorizontalPodAutoscalerConfig(HorizontalPodAutoscalerBehavior behavior) {}

  /** One scaler: its type and its (string-valued) metadata. */
  public record Trigger(String type, String metricType, Map<String, String> metadata) {}
}
