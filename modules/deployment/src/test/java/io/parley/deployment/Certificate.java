package io.parley.deployment;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;
import java.util.Map;

/**
 * A cert-manager {@code cert-manager.io/v1} Certificate with the fields the chart may set (the
 * cert-manager API's names), so that strict parsing rejects anything else.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@com.fasterxml.jackson.databind.annotation.JsonDeserialize(
    using = com.fasterxml.jackson.databind.JsonDeserializer.None.class)
public final class Certificate implements HasMetadata {

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

  /** The Certificate spec (cert-manager v1). */
  public record Spec(
      String secretName,
      String commonName,
      String duration,
      String renewBefore,
      PrivateKey privateKey,
      List<String> usages,
      List<String> uris,
      List<String> dnsNames,
      List<String> ipAddresses,
      IssuerRef issuerRef,
      Map<String, Object> secretTemplate,
      Boolean isCA) {}

  /** The private key settings. */
  public record PrivateKey(
      String algorithm, Integer size, String encoding, String rotationPolicy) {}

  /** The issuer reference. */
  public record IssuerRef(String name, String kind, String group) {}
}
