package io.parley.deployment;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import java.util.List;
import java.util.Map;

/**
 * A KEDA {@code keda.sh/v1alpha1} ScaledObject with the fields the chart may set (KEDA's API
 * names), so that strict parsing rejects anything else.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@com.fasterxml.jackson.databind.annotation.JsonDeserialize(
    using = com.fasterxml.jackson.databind.JsonDeserializer.None.class)
public final class ScaledObject implements HasMetadata {

  private String apiVersion;
  private String kind;
  private ObjectMeta metadata;
  private Spec spec;

  @Override
  public ObjectMeta getMetadata() {
    return metadata;
  }

  @Override
  public void setMetadata(ObjectMeta metadata) {
    this.metadata = metadata;
  }

  @Override
  public String getApiVersion() {
    return apiVersion;
  }

  @Override
  public void setApiVersion(String apiVersion) {
    this.apiVersion = apiVersion;
  }

  @Override
  public String getKind() {
    return kind;
  }

  public void setKind(String kind) {
    this.kind = kind;
  }

  public Spec getSpec() {
    return spec;
  }

  public void setSpec(Spec spec) {
    this.spec = spec;
  }

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
