package io.parley.deployment;

import static io.parley.deployment.HelmChartTest.container;
import static io.parley.deployment.HelmChartTest.mount;
import static io.parley.deployment.HelmChartTest.volume;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The chart's mutual-TLS certificates: chart CA, cert-manager and existing Secrets. */
class HelmTlsTest {

  private static final Chart.Options ALL_SERVICES =
      Chart.Options.defaults()
          .set("services.embeddings.enabled", "true")
          .set("services.usage.enabled", "true")
          .set("services.safety.enabled", "true");

  private static FakeKubernetesApi api;

  @BeforeAll
  static void startApi() {
    api = FakeKubernetesApi.start();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  @AfterEach
  void forgetSecrets() {
    api.clear();
  }

  @Test
  void everyServiceMountsItsOwnCertificate_signedByTheChartCa_withItsIdentity() throws Exception {
    Chart.Rendered rendered = Chart.render(ALL_SERVICES);
    X509Certificate ca = certificate(data(rendered, "parley-tls-ca", "ca.crt"));

    List<Deployment> deployments = rendered.all(Deployment.class);
    assertThat(deployments).hasSize(5);
    for (Deployment deployment : deployments) {
      String name = deployment.getMetadata().getName();
      String service = name.substring("parley-".length());
      var pod = deployment.getSpec().getTemplate().getSpec();
      var tls = volume(pod, "tls");
      assertThat(tls.getSecret().getSecretName()).isEqualTo(name + "-tls");
      assertThat(tls.getSecret().getItems())
          .extracting(KeyToPath::getKey)
          .containsExactly("tls.crt", "tls.key", "ca.crt");
      var mount = mount(container(deployment), "tls");
      assertThat(mount.getMountPath()).isEqualTo("/etc/parley/tls");
      assertThat(mount.getReadOnly()).isTrue();
      assertThat(rendered.configMap(name).getData())
          .containsEntry("PARLEY_TLS_CERT_FILE", "/etc/parley/tls/tls.crt")
          .containsEntry("PARLEY_TLS_KEY_FILE", "/etc/parley/tls/tls.key")
          .containsEntry("PARLEY_TLS_CA_FILE", "/etc/parley/tls/ca.crt")
          .containsEntry("PARLEY_TLS_REFRESH_MS", "30000");

      Secret secret = rendered.get(Secret.class, name + "-tls");
      assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
      X509Certificate cert = certificate(data(rendered, name + "-tls", "tls.crt"));
      cert.verify(ca.getPublicKey());
      assertThat(dnsNames(cert))
          .contains(service + ".identity.parley.internal", name, name + ".parley.svc");
      assertThat(data(rendered, name + "-tls", "ca.crt"))
          .isEqualTo(data(rendered, "parley-tls-ca", "ca.crt"));
      assertThat(data(rendered, name + "-tls", "tls.key")).contains("PRIVATE KEY");
    }
    X509Certificate operator = certificate(data(rendered, "parley-operator-tls", "tls.crt"));
    operator.verify(ca.getPublicKey());
    assertThat(dnsNames(operator)).containsExactly("operator.identity.parley.internal");
    assertThat(rendered.get(Secret.class, "parley-tls-ca").getMetadata().getAnnotations())
        .containsEntry("helm.sh/resource-policy", "keep");
  }

  @Test
  void chartCaAndCertificates_areKeptAcrossUpgrades() {
    Chart.Rendered first = Chart.render(Chart.Options.defaults());
    assertThat(data(Chart.render(Chart.Options.defaults()), "parley-tls-ca", "ca.crt"))
        .as("a fresh install makes a new CA")
        .isNotEqualTo(data(first, "parley-tls-ca", "ca.crt"));
    for (String secret : List.of("parley-tls-ca", "parley-gateway-tls")) {
      var plain = new LinkedHashMap<String, String>();
      first.get(Secret.class, secret).getData().forEach((k, v) -> plain.put(k, decode(v)));
      api.putSecret(Chart.NAMESPACE, secret, plain);
    }

    Chart.Rendered upgrade = Chart.render(Chart.Options.defaults());

    assertThat(data(upgrade, "parley-tls-ca", "ca.crt"))
        .isEqualTo(data(first, "parley-tls-ca", "ca.crt"));
    assertThat(data(upgrade, "parley-tls-ca", "ca.key"))
        .isEqualTo(data(first, "parley-tls-ca", "ca.key"));
    assertThat(data(upgrade, "parley-gateway-tls", "tls.crt"))
        .isEqualTo(data(first, "parley-gateway-tls", "tls.crt"));
    assertThat(data(upgrade, "parley-gateway-tls", "tls.key"))
        .isEqualTo(data(first, "parley-gateway-tls", "tls.key"));
    assertThat(data(upgrade, "parley-inference-tls", "ca.crt"))
        .as("a certificate missing from the cluster is signed by the kept CA")
        .isEqualTo(data(first, "parley-tls-ca", "ca.crt"));
  }

  @Test
  void certManager_issuesEveryCertificate_andTheChartMakesNoCa() {
    Chart.Rendered rendered =
        Chart.render(
            ALL_SERVICES
                .set("tls.certManager.enabled", "true")
                .set("tls.certManager.issuerRef.name", "platform-ca")
                .set("tls.certManager.issuerRef.kind", "ClusterIssuer"));

    assertThat(rendered.all(Secret.class))
        .extracting(s -> s.getMetadata().getName())
        .containsExactly("parley-secrets");
    Map<String, Certificate> certificates = new LinkedHashMap<>();
    rendered.all(Certificate.class).forEach(c -> certificates.put(c.getSpec().secretName(), c));
    assertThat(certificates)
        .containsOnlyKeys(
            "parley-gateway-tls",
            "parley-inference-tls",
            "parley-embeddings-tls",
            "parley-usage-tls",
            "parley-safety-tls",
            "parley-operator-tls");
    var usage = certificates.get("parley-usage-tls").getSpec();
    assertThat(usage.uris()).containsExactly("spiffe://parley/usage");
    assertThat(usage.dnsNames()).contains("parley-usage", "parley-usage.parley.svc");
    assertThat(usage.privateKey().encoding()).isEqualTo("PKCS8");
    assertThat(usage.privateKey().rotationPolicy()).isEqualTo("Always");
    assertThat(usage.usages()).contains("server auth", "client auth");
    assertThat(usage.issuerRef())
        .isEqualTo(new Certificate.IssuerRef("platform-ca", "ClusterIssuer", "cert-manager.io"));
    assertThat(certificates.get("parley-operator-tls").getSpec().uris())
        .containsExactly("spiffe://parley/operator");
    assertThat(
            volume(rendered.deployment("parley-usage").getSpec().getTemplate().getSpec(), "tls")
                .getSecret()
                .getSecretName())
        .isEqualTo("parley-usage-tls");
  }

  @Test
  void certManager_withoutAnIssuer_fails() {
    assertThatThrownBy(
            () -> Chart.render(Chart.Options.defaults().set("tls.certManager.enabled", "true")))
        .hasMessageContaining("tls.certManager.issuerRef.name");
  }

  @Test
  void existingSecrets_areMounted_andNothingIsMadeForThem() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("tls.existingSecrets.gateway", "gw-certs")
                .set("tls.existingSecrets.inference", "inference-certs")
                .set("tls.existingSecrets.operator", "ops-certs"));

    assertThat(rendered.all(Secret.class))
        .extracting(s -> s.getMetadata().getName())
        .containsExactly("parley-secrets");
    assertThat(
            volume(rendered.deployment("parley-gateway").getSpec().getTemplate().getSpec(), "tls")
                .getSecret()
                .getSecretName())
        .isEqualTo("gw-certs");
    assertThat(
            volume(rendered.deployment("parley-inference").getSpec().getTemplate().getSpec(), "tls")
                .getSecret()
                .getSecretName())
        .isEqualTo("inference-certs");
  }

  @Test
  void notesSayWhereTheOperatorIdentityIs() {
    assertThat(Chart.notes(Chart.Options.defaults()))
        .contains("mutual TLS")
        .contains("parley-operator-tls");
  }

  private static String data(Chart.Rendered rendered, String secret, String key) {
    return decode(rendered.get(Secret.class, secret).getData().get(key));
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
  }

  private static X509Certificate certificate(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  private static List<String> dnsNames(X509Certificate cert) throws Exception {
    return cert.getSubjectAlternativeNames().stream()
        .filter(n -> (Integer) n.get(0) == 2)
        .map(n -> (String) n.get(1))
        .toList();
  }
}
