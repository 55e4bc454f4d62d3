package io.parley.deployment;

import java.util.List;
import java.util.Map;

/**
 * A cert-manager {@code cert-manager.io/v1} Certificate with the fields the chart may set (the
 * cert-manager API's names), so that strict parsing rejects anything else.
 */
public final class Certificate extends CustomResource<Certificate.Spec> {

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
