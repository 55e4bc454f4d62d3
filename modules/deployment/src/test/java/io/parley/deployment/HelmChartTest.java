package io.parley.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Helm chart helm/parley, rendered with its default values and with each ci/ values file. */
class HelmChartTest {

  private static final List<String> PLANNED_SERVICES =
      List.of("embeddings", "files", "usage", "safety");
  private static final String MODEL_SHA256 =
      "0f2a3c5e7b9d1f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a";

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

  /** Default values, then every ci/*-values.yaml. */
  static Stream<Arguments> valueSets() {
    List<Arguments> sets = new ArrayList<>();
    sets.add(Arguments.of("default values", Chart.Options.defaults()));
    for (Path file : Chart.ciValuesFiles()) {
      sets.add(Arguments.of("ci/" + file.getFileName(), Chart.Options.defaults().values(file)));
    }
    return sets.stream();
  }

  @Test
  void ciValuesFilesExist() {
    assertThat(Chart.ciValuesFiles()).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void lintPassesStrictly() {
    LintResult result = new Helm(Chart.dir()).lint().strict().call();

    assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void everyManifestParsesStrictly(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    assertThat(rendered.resources()).isNotEmpty();
    Set<String> identities = new HashSet<>();
    for (HasMetadata resource : rendered.resources()) {
      assertThat(identities.add(resource.getKind() + "/" + resource.getMetadata().getName()))
          .as("duplicate %s %s", resource.getKind(), resource.getMetadata().getName())
          .isTrue();
      assertThat(resource.getMetadata().getNamespace()).as("namespace is left to helm").isNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void enabledServicesHaveADeploymentAndAServiceWithTheirPorts(
      String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    Deployment gateway = rendered.deployment("parley-gateway");
    assertThat(ports(container(gateway))).containsExactly(Map.entry("http", 9080));
    Service gatewayService = rendered.service("parley-gateway");
    assertThat(gatewayService.getSpec().getClusterIP()).isNull();
    assertThat(gatewayService.getSpec().getPorts())
        .singleElement()
        .satisfies(
            port -> {
              assertThat(port.getName()).isEqualTo("http");
              assertThat(port.getPort()).isEqualTo(9080);
              assertThat(port.getTargetPort().getStrVal()).isEqualTo("http");
            });

    Deployment inference = rendered.deployment("parley-inference");
    assertThat(ports(container(inference)))
        .containsExactly(Map.entry("http", 9080), Map.entry("grpc", 9090));
    Service inferenceService = rendered.service("parley-inference");
    assertThat(inferenceService.getSpec().getClusterIP())
        .as("headless, so gRPC round_robin reaches every pod")
        .isEqualTo("None");
    assertThat(inferenceService.getSpec().getPorts())
        .hasSize(2)
        .satisfiesExactly(
            port -> {
              assertThat(port.getName()).isEqualTo("grpc");
              assertThat(port.getPort()).isEqualTo(9090);
              assertThat(port.getAppProtocol()).isEqualTo("grpc");
            },
            port -> {
              assertThat(port.getName()).as("health and /metrics").isEqualTo("http");
              assertThat(port.getPort()).isEqualTo(9080);
            });

    for (Service service : rendered.all(Service.class)) {
      Deployment target = rendered.deployment(service.getMetadata().getName());
      assertThat(target.getSpec().getTemplate().getMetadata().getLabels())
          .containsAllEntriesOf(service.getSpec().getSelector());
      for (ServicePort port : service.getSpec().getPorts()) {
        assertThat(ports(container(target))).containsKey(port.getTargetPort().getStrVal());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void gatewayDialsTheInferenceService(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    Map<String, String> config = rendered.configMap("parley-gateway").getData();
    assertThat(config).containsEntry("PARLEY_INFERENCE_TARGET", "dns:///parley-inference:9090");
    assertThat(config).containsEntry("HTTP_HOST", "*").containsEntry("HTTP_PORT", "9080");
    assertThat(rendered.configMap("parley-inference").getData())
        .containsEntry("HTTP_HOST", "*")
        .containsEntry("HTTP_PORT", "9080")
        .containsEntry("PARLEY_GRPC_HOST", "0.0.0.0")
        .containsEntry("PARLEY_GRPC_PORT", "9090");
    assertThat(container(rendered.deployment("parley-gateway")).getEnvFrom())
        .anySatisfy(
            source -> assertThat(source.getConfigMapRef().getName()).isEqualTo("parley-gateway"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void gatewayUsageOutbox_isOnItsOwnWritableVolume(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);
    Deployment gateway = rendered.deployment("parley-gateway");
    PodSpec pod = gateway.getSpec().getTemplate().getSpec();

    Volume volume = volume(pod, "outbox");
    assertThat(volume.getEmptyDir()).isNotNull();
    assertThat(volume.getEmptyDir().getSizeLimit().toString()).isEqualTo("2Gi");
    assertThat(mount(container(gateway), "outbox").getMountPath())
        .isEqualTo("/var/lib/parley/outbox");
    assertThat(rendered.configMap("parley-gateway").getData())
        .containsEntry("PARLEY_GATEWAY_OUTBOX_DIR", "/var/lib/parley/outbox");
    assertThat(rendered.configMap("parley-inference").getData())
        .doesNotContainKey("PARLEY_GATEWAY_OUTBOX_DIR");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void probesUseTheMicroProfileHealthEndpoints(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    for (Deployment deployment : rendered.all(Deployment.class)) {
      Container container = container(deployment);
      assertThat(httpGet(container.getStartupProbe().getHttpGet()))
          .isEqualTo("http /health/started");
      assertThat(httpGet(container.getLivenessProbe().getHttpGet())).isEqualTo("http /health/live");
      assertThat(httpGet(container.getReadinessProbe().getHttpGet()))
          .isEqualTo("http /health/ready");
    }
    Container inference = container(rendered.deployment("parley-inference"));
    int startupSeconds =
        inference.getStartupProbe().getPeriodSeconds()
            * inference.getStartupProbe().getFailureThreshold();
    assertThat(startupSeconds).as("time allowed to load a model").isGreaterThanOrEqualTo(900);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void replicasAreLeftToTheAutoscalerWhenOneExists(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    for (Deployment deployment : rendered.all(Deployment.class)) {
      String name = deployment.getMetadata().getName();
      var hpa = rendered.find(HorizontalPodAutoscaler.class, name);
      if (hpa.isPresent()) {
        assertThat(deployment.getSpec().getReplicas()).as("%s replicas", name).isNull();
        assertThat(hpa.get().getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.get().getSpec().getScaleTargetRef().getName()).isEqualTo(name);
      } else {
        assertThat(deployment.getSpec().getReplicas()).as("%s replicas", name).isNotNull();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void adminKeyIsAFileFromASecretAndNowhereElse(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);
    Deployment gateway = rendered.deployment("parley-gateway");
    PodSpec pod = gateway.getSpec().getTemplate().getSpec();

    Volume volume = volume(pod, "admin-key");
    String secretName = volume.getSecret().getSecretName();
    assertThat(volume.getSecret().getItems())
        .singleElement()
        .satisfies(item -> assertThat(item.getPath()).isEqualTo("admin-key"));
    VolumeMount mount = mount(container(gateway), volume.getName());
    assertThat(mount.getMountPath()).isEqualTo("/etc/parley/secrets");
    assertThat(mount.getReadOnly()).isTrue();
    assertThat(rendered.configMap("parley-gateway").getData())
        .containsEntry("PARLEY_GATEWAY_ADMIN_KEY_FILE", "/etc/parley/secrets/admin-key")
        .containsEntry("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
    assertThat(gateway.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsKeys("checksum/config", "checksum/secret");

    // No environment variable is taken from the Secret, in any container.
    for (Deployment deployment : rendered.all(Deployment.class)) {
      for (EnvVar env : envOf(container(deployment))) {
        if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
          assertThat(env.getValueFrom().getSecretKeyRef().getName()).isNotEqualTo(secretName);
        }
      }
    }
    // The chart's own Secret holds the key; its value appears in no ConfigMap, env or annotation.
    var secret = rendered.find(Secret.class, secretName);
    if (secret.isPresent()) {
      String key =
          new String(
              Base64.getDecoder().decode(secret.get().getData().get("admin-key")),
              StandardCharsets.UTF_8);
      assertThat(key).hasSizeGreaterThanOrEqualTo(32);
      for (ConfigMap configMap : rendered.all(ConfigMap.class)) {
        assertThat(configMap.getData().values()).noneMatch(v -> v.contains(key));
      }
      for (Deployment deployment : rendered.all(Deployment.class)) {
        assertThat(envOf(container(deployment)))
            .noneMatch(e -> e.getValue() != null && e.getValue().contains(key));
        assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations().values())
            .noneMatch(v -> v.contains(key));
      }
    } else {
      assertThat(secretName).isEqualTo("parley-admin");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void containersAreLockedDown(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    for (Deployment deployment : rendered.all(Deployment.class)) {
      PodSpec pod = deployment.getSpec().getTemplate().getSpec();
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(pod.getSecurityContext().getSeccompProfile().getType())
          .isEqualTo("RuntimeDefault");
      assertThat(pod.getAutomountServiceAccountToken()).isFalse();
      assertThat(pod.getServiceAccountName()).isEqualTo("parley");
      Container container = container(deployment);
      SecurityContext security = container.getSecurityContext();
      assertThat(security.getRunAsNonRoot()).isTrue();
      assertThat(security.getReadOnlyRootFilesystem()).isTrue();
      assertThat(security.getAllowPrivilegeEscalation()).isFalse();
      assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      for (String path : List.of("/tmp", "/opt/ol/wlp/output")) {
        VolumeMount mount =
            container.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(path))
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
        assertThat(volume(pod, mount.getName()).getEmptyDir()).isNotNull();
      }
      assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
      assertThat(container.getResources().getLimits()).containsKey("memory");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valueSets")
  void labelsFollowTheHelpers(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    for (HasMetadata resource : rendered.resources()) {
      Map<String, String> labels = resource.getMetadata().getLabels();
      assertThat(labels)
          .as("%s %s", resource.getKind(), resource.getMetadata().getName())
          .containsEntry("app.kubernetes.io/name", "parley")
          .containsEntry("app.kubernetes.io/instance", "parley")
          .containsEntry("app.kubernetes.io/managed-by", "Helm")
          .containsEntry("app.kubernetes.io/version", "0.1.0")
          .containsEntry("app.kubernetes.io/part-of", "parley")
          .containsEntry("helm.sh/chart", "parley-" + chartVersion());
    }
    for (Deployment deployment : rendered.all(Deployment.class)) {
      String component = deployment.getMetadata().getName().substring("parley-".length());
      Map<String, String> selector = deployment.getSpec().getSelector().getMatchLabels();
      assertThat(selector)
          .containsExactlyInAnyOrderEntriesOf(
              Map.of(
                  "app.kubernetes.io/name", "parley",
                  "app.kubernetes.io/instance", "parley",
                  "app.kubernetes.io/component", component));
      assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
          .containsAllEntriesOf(selector)
          .containsEntry("app.kubernetes.io/part-of", "parley");
    }
    for (PodDisruptionBudget pdb : rendered.all(PodDisruptionBudget.class)) {
      Deployment target = rendered.deployment(pdb.getMetadata().getName());
      assertThat(pdb.getSpec().getSelector().getMatchLabels())
          .isEqualTo(target.getSpec().getSelector().getMatchLabels());
    }
  }

  /** The value sets that leave the optional services at their default (off). */
  static Stream<Arguments> defaultServiceValueSets() {
    return valueSets().filter(set -> !set.get()[0].toString().contains("full-values"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("defaultServiceValueSets")
  void plannedServicesRenderNothingByDefault(String label, Chart.Options options) {
    Chart.Rendered rendered = Chart.render(options);

    for (String service : PLANNED_SERVICES) {
      assertThat(rendered.component(service)).as(service).isEmpty();
      assertThat(rendered.resources()).noneMatch(r -> r.getMetadata().getName().contains(service));
    }
  }

  @Test
  void defaultValuesRenderTheExpectedResources() {
    Chart.Rendered rendered = Chart.render(Chart.Options.defaults());

    assertThat(rendered.resources())
        .extracting(r -> r.getKind() + "/" + r.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "ServiceAccount/parley",
            "Secret/parley-secrets",
            "Secret/parley-tls-ca",
            "Secret/parley-gateway-tls",
            "Secret/parley-inference-tls",
            "Secret/parley-operator-tls",
            "ConfigMap/parley-gateway",
            "ConfigMap/parley-inference",
            "PersistentVolumeClaim/parley-model-cache",
            "Service/parley-gateway",
            "Service/parley-inference",
            "Deployment/parley-gateway",
            "Deployment/parley-inference");
    assertThat(rendered.deployment("parley-gateway").getSpec().getReplicas()).isEqualTo(1);
    assertThat(container(rendered.deployment("parley-gateway")).getImage())
        .isEqualTo("parley/parley-gateway:0.1.0");
    assertThat(container(rendered.deployment("parley-inference")).getImage())
        .isEqualTo("parley/parley-inference:0.1.0");
    assertThat(rendered.get(ServiceAccount.class, "parley").getAutomountServiceAccountToken())
        .isFalse();
  }

  @Test
  void productionValuesAddAutoscalersBudgetsPoliciesAndIngress() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults().values(Chart.dir().resolve("ci/production-values.yaml")));

    for (String service : List.of("gateway", "inference")) {
      String name = "parley-" + service;
      assertThat(rendered.find(HorizontalPodAutoscaler.class, name)).isPresent();
      assertThat(
              rendered.get(PodDisruptionBudget.class, name).getSpec().getMinAvailable().getIntVal())
          .isEqualTo(1);
      assertThat(rendered.find(NetworkPolicy.class, name)).isPresent();
      assertThat(container(rendered.deployment(name)).getImage())
          .isEqualTo("registry.example.com/platform/parley/parley-" + service + ":0.1.0");
      assertThat(rendered.deployment(name).getSpec().getTemplate().getSpec().getImagePullSecrets())
          .extracting(ref -> ref.getName())
          .containsExactly("registry-credentials");
    }
    assertThat(rendered.all(Secret.class))
        .as("existingSecret is used")
        .extracting(s -> s.getMetadata().getName())
        .doesNotContain("parley-secrets")
        .allMatch(name -> name.endsWith("-tls") || name.equals("parley-tls-ca"));
    assertThat(
            rendered
                .get(HorizontalPodAutoscaler.class, "parley-gateway")
                .getSpec()
                .getMinReplicas())
        .isEqualTo(3);
    assertThat(
            rendered
                .get(PersistentVolumeClaim.class, "parley-model-cache")
                .getSpec()
                .getAccessModes())
        .containsExactly("ReadWriteMany");
    Ingress ingress = rendered.get(Ingress.class, "parley-gateway");
    assertThat(ingress.getSpec().getRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getHost()).isEqualTo("parley.example.com");
              var backend = rule.getHttp().getPaths().getFirst().getBackend().getService();
              assertThat(backend.getName()).isEqualTo("parley-gateway");
              assertThat(backend.getPort().getName()).isEqualTo("http");
            });
    assertThat(
            rendered
                .deployment("parley-inference")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getTopologySpreadConstraints())
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.getLabelSelector().getMatchLabels())
                    .containsEntry("app.kubernetes.io/component", "inference"));
  }

  @Test
  void networkPolicyOpensOnlyTheGatewayToEveryone() {
    Chart.Rendered rendered =
        Chart.render(Chart.Options.defaults().set("networkPolicy.enabled", "true"));

    NetworkPolicy gateway = rendered.get(NetworkPolicy.class, "parley-gateway");
    assertThat(gateway.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(gateway.getSpec().getIngress())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getFrom()).as("any source").isNullOrEmpty();
              assertThat(rule.getPorts())
                  .singleElement()
                  .satisfies(p -> assertThat(p.getPort().getStrVal()).isEqualTo("http"));
            });

    NetworkPolicy inference = rendered.get(NetworkPolicy.class, "parley-inference");
    assertThat(inference.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(
            rendered.deployment("parley-inference").getSpec().getSelector().getMatchLabels());
    NetworkPolicyIngressRule rule = inference.getSpec().getIngress().getFirst();
    assertThat(inference.getSpec().getIngress()).hasSize(1);
    assertThat(rule.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getPort().getStrVal()).isEqualTo("grpc"));
    assertThat(rule.getFrom())
        .singleElement()
        .satisfies(
            peer -> {
              assertThat(peer.getNamespaceSelector()).isNull();
              assertThat(peer.getPodSelector().getMatchLabels())
                  .containsExactlyInAnyOrderEntriesOf(
                      Map.of(
                          "app.kubernetes.io/name", "parley",
                          "app.kubernetes.io/instance", "parley"));
            });
  }

  @Test
  void disabledServicesRenderNothing() {
    Chart.Rendered rendered =
        Chart.render(Chart.Options.defaults().set("services.inference.enabled", "false"));

    assertThat(rendered.component("inference")).isEmpty();
    assertThat(rendered.find(PersistentVolumeClaim.class, "parley-model-cache")).isEmpty();
    assertThat(rendered.configMap("parley-gateway").getData())
        .doesNotContainKey("PARLEY_INFERENCE_TARGET");
    assertThat(rendered.find(Deployment.class, "parley-gateway")).isPresent();
  }

  @Test
  void enablingAPlannedServiceIsAValuesChange() {
    Chart.Rendered rendered =
        Chart.render(Chart.Options.defaults().set("services.embeddings.enabled", "true"));

    Deployment embeddings = rendered.deployment("parley-embeddings");
    assertThat(container(embeddings).getImage()).isEqualTo("parley/parley-embeddings:0.1.0");
    assertThat(ports(container(embeddings)))
        .containsExactly(Map.entry("http", 9080), Map.entry("grpc", 9090));
    assertThat(rendered.service("parley-embeddings").getSpec().getClusterIP()).isEqualTo("None");
    assertThat(rendered.configMap("parley-embeddings").getData())
        .containsEntry("PARLEY_GRPC_PORT", "9090")
        .doesNotContainKey("PARLEY_GATEWAY_ADMIN_KEY_FILE");
    assertThat(rendered.configMap("parley-gateway").getData())
        .containsEntry("PARLEY_EMBEDDINGS_TARGET", "dns:///parley-embeddings:9090")
        .containsEntry("PARLEY_INFERENCE_TARGET", "dns:///parley-inference:9090")
        .doesNotContainKeys("PARLEY_SAFETY_TARGET", "PARLEY_USAGE_TARGET");
    assertThat(embeddings.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getSecret().getSecretName())
        .as("only its own certificate, not the admin key")
        .containsExactly("parley-embeddings-tls");
  }

  @Test
  void enablingFiles_givesItABlobVolumeItsLimits_andTheGatewayItsTarget() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.files.enabled", "true")
                .set("fileStore.quotaBytes", "1073741824"));

    Deployment files = rendered.deployment("parley-files");
    assertThat(ports(container(files)))
        .containsExactly(Map.entry("http", 9080), Map.entry("grpc", 9090));
    assertThat(rendered.service("parley-files").getSpec().getClusterIP()).isEqualTo("None");
    assertThat(mount(container(files), "file-store").getMountPath())
        .isEqualTo("/var/lib/parley/files");
    assertThat(
            volume(files.getSpec().getTemplate().getSpec(), "file-store")
                .getPersistentVolumeClaim()
                .getClaimName())
        .isEqualTo("parley-file-store");
    var claim = rendered.find(PersistentVolumeClaim.class, "parley-file-store").orElseThrow();
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
    assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
        .isEqualTo("50Gi");
    assertThat(container(files).getReadinessProbe().getHttpGet().getPath())
        .isEqualTo("/health/ready");
    assertThat(rendered.configMap("parley-files").getData())
        .containsEntry("PARLEY_FILES_STORE", "directory")
        .containsEntry("PARLEY_FILES_STORE_DIRECTORY", "/var/lib/parley/files")
        .containsEntry("PARLEY_FILES_MAX_FILE_BYTES", "536870912")
        .containsEntry("PARLEY_FILES_QUOTA_BYTES", "1073741824");
    assertThat(rendered.configMap("parley-gateway").getData())
        .containsEntry("PARLEY_FILES_TARGET", "dns:///parley-files:9090")
        .containsEntry("PARLEY_FILES_MAX_UPLOAD_BYTES", "536870912");
    assertThat(rendered.configMap("parley-inference").getData())
        .containsEntry("PARLEY_FILES_TARGET", "dns:///parley-files:9090");
    assertThat(rendered.deployment("parley-gateway").getSpec().getTemplate().getSpec().getVolumes())
        .noneMatch(v -> v.getName().equals("file-store"));
  }

  @Test
  void filesWithoutPersistence_orWithAnExistingClaim_createNoClaim() {
    Chart.Rendered ephemeral =
        Chart.render(
            Chart.Options.defaults()
                .set("services.files.enabled", "true")
                .set("fileStore.persistence.enabled", "false"));
    assertThat(
            volume(
                    ephemeral.deployment("parley-files").getSpec().getTemplate().getSpec(),
                    "file-store")
                .getEmptyDir())
        .isNotNull();
    assertThat(ephemeral.find(PersistentVolumeClaim.class, "parley-file-store")).isEmpty();

    Chart.Rendered existing =
        Chart.render(
            Chart.Options.defaults()
                .set("services.files.enabled", "true")
                .set("fileStore.persistence.existingClaim", "blobs"));
    assertThat(
            volume(
                    existing.deployment("parley-files").getSpec().getTemplate().getSpec(),
                    "file-store")
                .getPersistentVolumeClaim()
                .getClaimName())
        .isEqualTo("blobs");
    assertThat(existing.find(PersistentVolumeClaim.class, "parley-file-store")).isEmpty();
  }

  @Test
  void filesWithTheLocalRunner_getsNoRoleAndNoApiToken() {
    Chart.Rendered rendered =
        Chart.render(Chart.Options.defaults().set("services.files.enabled", "true"));

    assertThat(rendered.all(Role.class)).isEmpty();
    assertThat(rendered.all(RoleBinding.class)).isEmpty();
    var pod = rendered.deployment("parley-files").getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("parley");
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(rendered.configMap("parley-files").getData())
        .containsEntry("PARLEY_FINETUNING_RUNNER", "local")
        .doesNotContainKey("PARLEY_FINETUNING_KUBERNETES_IMAGE");
    assertThat(rendered.find(PersistentVolumeClaim.class, "parley-fine-tuning-work")).isEmpty();
  }

  @Test
  void filesWithTheKubernetesRunner_mayManageTrainerJobsOnly_andSharesTheWorkVolume() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.files.enabled", "true")
                .set("fineTuning.runner", "kubernetes")
                .set("fineTuning.baseModels.stories260k", "/models/stories260K.gguf")
                .set("fineTuning.kubernetes.modelsClaim", "models")
                .set("fineTuning.kubernetes.gpus", "1"));

    var account = rendered.get(ServiceAccount.class, "parley-files");
    assertThat(account.getAutomountServiceAccountToken()).isTrue();
    var role = rendered.get(Role.class, "parley-files-trainer-jobs");
    assertThat(role.getRules())
        .extracting(
            r -> String.join(",", r.getApiGroups()) + "/" + String.join(",", r.getResources()),
            r -> r.getVerbs())
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(
                "batch/jobs", List.of("create", "get", "list", "watch", "delete")),
            org.assertj.core.groups.Tuple.tuple("/pods", List.of("get", "list")),
            org.assertj.core.groups.Tuple.tuple("/pods/log", List.of("get")));
    var binding = rendered.get(RoleBinding.class, "parley-files-trainer-jobs");
    assertThat(binding.getRoleRef().getName()).isEqualTo("parley-files-trainer-jobs");
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo("parley-files");
              assertThat(s.getNamespace()).isEqualTo(Chart.NAMESPACE);
            });

    var files = rendered.deployment("parley-files");
    var pod = files.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("parley-files");
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(volume(pod, "fine-tuning-work").getPersistentVolumeClaim().getClaimName())
        .isEqualTo("parley-fine-tuning-work");
    assertThat(mount(container(files), "fine-tuning-work").getMountPath())
        .isEqualTo("/var/lib/parley/fine-tuning");
    assertThat(mount(container(files), "fine-tuning-models").getReadOnly()).isTrue();
    var claim = rendered.get(PersistentVolumeClaim.class, "parley-fine-tuning-work");
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    assertThat(rendered.configMap("parley-files").getData())
        .containsEntry("PARLEY_FINETUNING_RUNNER", "kubernetes")
        .containsEntry("PARLEY_FINETUNING_BASE_MODELS", "stories260k=/models/stories260K.gguf")
        .containsEntry("PARLEY_FINETUNING_WORK_DIRECTORY", "/var/lib/parley/fine-tuning")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_IMAGE", "parley/parley-trainer:0.1.0")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_WORK_VOLUME_CLAIM", "parley-fine-tuning-work")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_MODELS_VOLUME_CLAIM", "models")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_SERVICE_ACCOUNT", "parley")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_MEMORY_LIMIT", "3Gi")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_GPUS", "1")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_RUN_AS_USER", "1001")
        .containsEntry("PARLEY_FINETUNING_KUBERNETES_RUN_AS_GROUP", "1001");
    // the other services keep the token-less account
    var gateway = rendered.deployment("parley-gateway").getSpec().getTemplate().getSpec();
    assertThat(gateway.getServiceAccountName()).isEqualTo("parley");
    assertThat(gateway.getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void filesOnS3_takesItsCredentialsFromASecret_andHasNoVolumeClaim() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.files.enabled", "true")
                .set("fileStore.type", "s3")
                .set("fileStore.s3.bucket", "parley-files")
                .set("fileStore.s3.endpoint", "http://minio:9000")
                .set("fileStore.s3.existingSecret", "s3-keys"));

    assertThat(rendered.configMap("parley-files").getData())
        .containsEntry("PARLEY_FILES_STORE", "s3")
        .containsEntry("PARLEY_FILES_S3_BUCKET", "parley-files")
        .containsEntry("PARLEY_FILES_S3_ENDPOINT", "http://minio:9000")
        .containsEntry("PARLEY_FILES_S3_PATH_STYLE", "true")
        .containsEntry("PARLEY_FILES_S3_ACCESS_KEY_FILE", "/etc/parley/s3/access-key")
        .containsEntry("PARLEY_FILES_S3_SECRET_KEY_FILE", "/etc/parley/s3/secret-key")
        .doesNotContainKey("PARLEY_FILES_STORE_DIRECTORY");
    var files = rendered.deployment("parley-files");
    var pod = files.getSpec().getTemplate().getSpec();
    assertThat(volume(pod, "s3-credentials").getSecret().getSecretName()).isEqualTo("s3-keys");
    assertThat(mount(container(files), "s3-credentials").getReadOnly()).isTrue();
    assertThat(pod.getVolumes()).noneMatch(v -> v.getName().equals("file-store"));
    assertThat(rendered.find(PersistentVolumeClaim.class, "parley-file-store")).isEmpty();
  }

  @Test
  void serviceSettingsOverrideDefaultsIncludingFalseAndZero() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("defaults.autoscaling.enabled", "true")
                .set("redis.url", "redis://redis:6379")
                .set("services.inference.autoscaling.enabled", "false")
                .set("services.inference.replicaCount", "0")
                .set("defaults.resources.requests.cpu", "300m"));

    assertThat(rendered.find(HorizontalPodAutoscaler.class, "parley-gateway")).isPresent();
    assertThat(rendered.find(HorizontalPodAutoscaler.class, "parley-inference")).isEmpty();
    assertThat(rendered.deployment("parley-inference").getSpec().getReplicas()).isZero();
    assertThat(
            container(rendered.deployment("parley-gateway"))
                .getResources()
                .getRequests()
                .get("cpu")
                .toString())
        .isEqualTo("300m");
    assertThat(
            container(rendered.deployment("parley-inference"))
                .getResources()
                .getRequests()
                .get("cpu")
                .toString())
        .as("inference's own request wins over defaults")
        .isEqualTo("2");
  }

  @Test
  void modelsBecomeInferenceConfiguration() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("models.served.stories260k", "null")
                .set("models.served.llama-3\\.2-1b.url", "https://models.example.org/l.gguf")
                .set("models.served.llama-3\\.2-1b.sha256", MODEL_SHA256.toUpperCase())
                .set("models.served.local.path", "/models/local.gguf")
                .set("models.threads", "4")
                .set("models.slots", "2")
                .set("models.cache.persistence.enabled", "false"));

    assertThat(rendered.configMap("parley-inference").getData())
        .containsEntry("PARLEY_INFERENCE_MODELS", "llama-3.2-1b,local")
        .containsEntry(
            "PARLEY_INFERENCE_MODEL_LLAMA_3_2_1B_URL", "https://models.example.org/l.gguf")
        .containsEntry("PARLEY_INFERENCE_MODEL_LLAMA_3_2_1B_SHA256", MODEL_SHA256)
        .containsEntry("PARLEY_INFERENCE_MODEL_LOCAL_PATH", "/models/local.gguf")
        .containsEntry("PARLEY_INFERENCE_CACHE_DIR", "/var/cache/parley/models")
        .containsEntry("PARLEY_INFERENCE_THREADS", "4")
        .containsEntry("PARLEY_INFERENCE_SLOTS", "2");
    Deployment inference = rendered.deployment("parley-inference");
    VolumeMount cache = mount(container(inference), "model-cache");
    assertThat(cache.getMountPath()).isEqualTo("/var/cache/parley/models");
    assertThat(volume(inference.getSpec().getTemplate().getSpec(), "model-cache").getEmptyDir())
        .isNotNull();
    assertThat(rendered.all(PersistentVolumeClaim.class)).isEmpty();
  }

  @Test
  void defaultModelCacheIsAPersistentVolumeClaim() {
    Chart.Rendered rendered = Chart.render(Chart.Options.defaults());

    Deployment inference = rendered.deployment("parley-inference");
    assertThat(
            volume(inference.getSpec().getTemplate().getSpec(), "model-cache")
                .getPersistentVolumeClaim()
                .getClaimName())
        .isEqualTo("parley-model-cache");
    assertThat(rendered.configMap("parley-inference").getData())
        .containsEntry("PARLEY_INFERENCE_MODELS", "stories260k")
        .containsEntry(
            "PARLEY_INFERENCE_MODEL_STORIES260K_PATH", "/var/cache/parley/models/stories260k.gguf")
        .doesNotContainKeys("PARLEY_INFERENCE_THREADS");
  }

  @Test
  void defaultModelComesFromItsImage_copiedIntoTheCacheBeforeInferenceStarts() {
    Chart.Rendered rendered = Chart.render(Chart.Options.defaults());

    var pod = rendered.deployment("parley-inference").getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers()).hasSize(1);
    var copy = pod.getInitContainers().get(0);
    assertThat(copy.getImage()).isEqualTo("parley/parley-model-stories260k:0.1.0");
    assertThat(copy.getCommand())
        .containsExactly(
            "cp", "-u", "/models/stories260K.gguf", "/var/cache/parley/models/stories260k.gguf");
    assertThat(copy.getVolumeMounts())
        .extracting(VolumeMount::getName)
        .containsExactly("model-cache");
    assertThat(copy.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(copy.getSecurityContext().getRunAsNonRoot()).isNotEqualTo(Boolean.FALSE);
  }

  @Test
  void everyServiceWaitsBeforeSigterm_andGrpcServicesFinishCallsWithinTheGracePeriod() {
    Chart.Rendered rendered = Chart.render(Chart.Options.defaults());

    var inference = rendered.deployment("parley-inference").getSpec().getTemplate().getSpec();
    var inferencePreStop = inference.getContainers().get(0).getLifecycle().getPreStop().getExec();
    assertThat(inferencePreStop.getCommand()).first().isEqualTo("sleep");
    assertThat(Integer.parseInt(inferencePreStop.getCommand().get(1)))
        .isLessThan(inference.getTerminationGracePeriodSeconds().intValue());
    // The gateway: readiness down, a 15 s pause, then its requests in flight drain for what the
    // 120 s grace period leaves after Liberty's 30 s quiesce and 5 s.
    var gateway = rendered.deployment("parley-gateway").getSpec().getTemplate().getSpec();
    assertThat(gateway.getTerminationGracePeriodSeconds()).isEqualTo(120);
    assertThat(gateway.getContainers().get(0).getLifecycle().getPreStop().getExec().getCommand())
        .containsExactly("/opt/parley/bin/prestop", "15", "85");
    // A grace period too short for a drain still pauses.
    assertThat(
            Chart.render(
                    Chart.Options.defaults()
                        .set("services.gateway.terminationGracePeriodSeconds", "40"))
                .deployment("parley-gateway")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getLifecycle()
                .getPreStop()
                .getExec()
                .getCommand())
        .containsExactly("/opt/parley/bin/prestop", "15", "15");
    // inference: 120 s grace, 5 s preStop pause, 5 s margin.
    assertThat(rendered.configMap("parley-inference").getData())
        .containsEntry("PARLEY_GRPC_SHUTDOWN_GRACE_MS", "110000");
    assertThat(rendered.configMap("parley-gateway").getData())
        .doesNotContainKey("PARLEY_GRPC_SHUTDOWN_GRACE_MS");
    // A rolling update stops the next inference pod only once the gateways can have found the
    // new one (connection recycle 20 s, name cache 5 s); the gateway's Service follows readiness.
    assertThat(rendered.deployment("parley-inference").getSpec().getMinReadySeconds())
        .isEqualTo(30);
    assertThat(rendered.deployment("parley-gateway").getSpec().getMinReadySeconds()).isZero();
  }

  @Test
  void severalGateways_needRedis_andShareTheirLimitsThere() {
    assertThatThrownBy(
            () -> Chart.render(Chart.Options.defaults().set("services.gateway.replicaCount", "2")))
        .hasMessageContaining("set redis.url");

    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.gateway.replicaCount", "2")
                .set("redis.url", "redis://parley-redis-master:6379"));
    assertThat(rendered.configMap("parley-gateway").getData())
        .containsEntry("PARLEY_GATEWAY_LIMITER", "redis")
        .containsEntry("PARLEY_GATEWAY_REDIS_URL", "redis://parley-redis-master:6379");
    assertThat(Chart.render(Chart.Options.defaults()).configMap("parley-gateway").getData())
        .doesNotContainKeys("PARLEY_GATEWAY_LIMITER", "PARLEY_GATEWAY_REDIS_URL");
  }

  @Test
  void redisPassword_isAFileFromTheExistingSecret_inTheGatewayOnly() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.gateway.replicaCount", "2")
                .set("redis.url", "rediss://parley-redis-master:6379")
                .set("redis.existingSecret", "parley-redis")
                .set("redis.passwordKey", "redis-password"));

    assertThat(rendered.configMap("parley-gateway").getData())
        .containsEntry("PARLEY_GATEWAY_REDIS_PASSWORD_FILE", "/etc/parley/redis/password");
    var pod = rendered.deployment("parley-gateway").getSpec().getTemplate().getSpec();
    var secret = volume(pod, "redis-password").getSecret();
    assertThat(secret.getSecretName()).isEqualTo("parley-redis");
    assertThat(secret.getItems())
        .singleElement()
        .satisfies(
            item -> {
              assertThat(item.getKey()).isEqualTo("redis-password");
              assertThat(item.getPath()).isEqualTo("password");
            });
    assertThat(pod.getContainers().getFirst().getVolumeMounts())
        .anyMatch(
            m ->
                m.getName().equals("redis-password")
                    && m.getMountPath().equals("/etc/parley/redis")
                    && Boolean.TRUE.equals(m.getReadOnly()));
    assertThat(pod.getContainers().getFirst().getEnv())
        .as("never an environment variable")
        .noneMatch(e -> e.getName().contains("REDIS_PASSWORD") && e.getValue() != null);
    assertThat(
            rendered.deployment("parley-inference").getSpec().getTemplate().getSpec().getVolumes())
        .noneMatch(v -> v.getName().equals("redis-password"));
    assertThat(Chart.render(Chart.Options.defaults()).configMap("parley-gateway").getData())
        .doesNotContainKey("PARLEY_GATEWAY_REDIS_PASSWORD_FILE");
  }

  @Test
  void embeddedDatabase_isAVolumePerService_oneReplica_recreatedNotRolled() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.usage.enabled", "true")
                .set("services.files.enabled", "true"));

    for (String service : List.of("usage", "files")) {
      Deployment deployment = rendered.deployment("parley-" + service);
      var pod = deployment.getSpec().getTemplate().getSpec();
      assertThat(volume(pod, "data").getPersistentVolumeClaim().getClaimName())
          .isEqualTo("parley-" + service + "-data");
      assertThat(mount(container(deployment), "data").getMountPath()).isEqualTo("/var/lib/parley");
      assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
      assertThat(rendered.find(PersistentVolumeClaim.class, "parley-" + service + "-data"))
          .isPresent();
      assertThat(rendered.configMap("parley-" + service).getData())
          .containsEntry(
              "PARLEY_" + service.toUpperCase() + "_DB_URL",
              "jdbc:h2:file:/var/lib/parley/" + service);
    }
    assertThat(rendered.configMap("parley-usage").getData())
        .containsEntry("PARLEY_USAGE_BOOTSTRAP_KEY_FILE", "/etc/parley/secrets/admin-key");
    assertThat(mount(container(rendered.deployment("parley-usage")), "admin-key").getMountPath())
        .isEqualTo("/etc/parley/secrets");
    assertThatThrownBy(
            () ->
                Chart.render(
                    Chart.Options.defaults()
                        .set("services.usage.enabled", "true")
                        .set("services.usage.replicaCount", "2")))
        .hasMessageContaining("database.type=postgresql");
  }

  @Test
  void postgresql_isReachedWithItsPasswordFromAMountedSecret() {
    Chart.Rendered rendered =
        Chart.render(Chart.Options.defaults().values(Chart.dir().resolve("ci/full-values.yaml")));

    for (String service : List.of("usage", "files")) {
      Deployment deployment = rendered.deployment("parley-" + service);
      String prefix = "PARLEY_" + service.toUpperCase() + "_DB_";
      assertThat(rendered.configMap("parley-" + service).getData())
          .containsEntry(
              prefix + "URL",
              "jdbc:postgresql://parley-db-rw:5432/parley_" + service + "?sslmode=require")
          .containsEntry(prefix + "USER", "parley")
          .containsEntry(prefix + "PASSWORD_FILE", "/etc/parley/db/password");
      assertThat(mount(container(deployment), "db-password").getMountPath())
          .isEqualTo("/etc/parley/db");
      assertThat(volume(deployment.getSpec().getTemplate().getSpec(), "db-password").getSecret())
          .satisfies(
              secret -> {
                assertThat(secret.getSecretName()).isEqualTo("parley-db-app");
                assertThat(secret.getItems().get(0).getKey()).isEqualTo("password");
              });
      assertThat(rendered.find(PersistentVolumeClaim.class, "parley-" + service + "-data"))
          .isEmpty();
      assertThat(rendered.configMap("parley-" + service).getData().toString())
          .doesNotContain("parley-db-app");
    }
    assertThatThrownBy(
            () ->
                Chart.render(
                    Chart.Options.defaults()
                        .set("services.usage.enabled", "true")
                        .set("database.type", "postgresql")
                        .set("database.postgresql.host", "db")))
        .hasMessageContaining("existingSecret");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "services.gateway.replicaCont=2",
        "defaults.probes.readiness.pth=/health/ready",
        "models.served.m.url=https://example.org/m.gguf",
        "models.served.m.sha256=abc",
        "image.pullPolicy=Sometimes",
        "secrets.existingSecrets=x",
        "tls.existingSecrets.billing=x",
        "tls.certManager.issuerRef.kind=Vault",
        "tls.refreshMs=10",
        "fileStore.quotaBytes=-1",
        "redis.url=redis://:secret@redis:6379",
        "database.type=mysql",
        "models.served.stories260k.url=https://example.org/m.gguf",
        "fileStore.type=nfs",
        "metrics.prometheusRule.errorRatio=2",
        "metrics.serviceMonitor.interval=often",
        "metrics.dashboard.enable=true",
        "tracing.otlpEndpoint=collector:4318",
        "tracing.protocol=zipkin",
        "defaults.autoscaling.targetQueueDepth=-1",
        "defaults.autoscaling.keda.serverAddress=prometheus:9090",
        "defaults.autoscaling.keda.pollingInterval=0"
      })
  void schemaRejectsInvalidValues(String assignment) {
    String[] parts = assignment.split("=", 2);

    assertThatThrownBy(() -> Chart.render(Chart.Options.defaults().set(parts[0], parts[1])))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema");
  }

  @Test
  void schemaRejectsAModelWithBothAPathAndAUrl() {
    Chart.Options options =
        Chart.Options.defaults()
            .set("models.served.m.path", "/models/m.gguf")
            .set("models.served.m.url", "https://example.org/m.gguf")
            .set("models.served.m.sha256", MODEL_SHA256);

    assertThatThrownBy(() -> Chart.render(options))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema");
  }

  @Test
  void existingSecretIsMountedAndNoSecretIsCreated() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("secrets.existingSecret", "my-keys")
                .set("secrets.adminKeyKey", "gateway-admin"));

    assertThat(rendered.all(Secret.class))
        .as("only the certificates of the mutual TLS")
        .allMatch(secret -> secret.getMetadata().getName().matches("parley-.*tls.*"));
    Volume volume =
        volume(
            rendered.deployment("parley-gateway").getSpec().getTemplate().getSpec(), "admin-key");
    assertThat(volume.getSecret().getSecretName()).isEqualTo("my-keys");
    assertThat(volume.getSecret().getItems())
        .singleElement()
        .satisfies(
            item -> {
              assertThat(item.getKey()).isEqualTo("gateway-admin");
              assertThat(item.getPath()).isEqualTo("admin-key");
            });
  }

  @Test
  void generatedAdminKeyIsKeptAcrossUpgrades() {
    String first = adminKey(Chart.render(Chart.Options.defaults()));
    String second = adminKey(Chart.render(Chart.Options.defaults()));
    assertThat(first).as("random on a fresh install").isNotEqualTo(second);

    api.putSecret(Chart.NAMESPACE, "parley-secrets", Map.of("admin-key", "sk-existing-key"));
    Chart.Rendered upgrade = Chart.render(Chart.Options.defaults());

    assertThat(adminKey(upgrade)).isEqualTo("sk-existing-key");
    String checksum =
        upgrade
            .deployment("parley-gateway")
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getAnnotations()
            .get("checksum/secret");
    assertThat(
            Chart.render(Chart.Options.defaults())
                .deployment("parley-gateway")
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations()
                .get("checksum/secret"))
        .as("pods do not roll on an upgrade that keeps the key")
        .isEqualTo(checksum);
  }

  @Test
  void configChecksumFollowsTheServiceConfiguration() {
    Chart.Rendered before = Chart.render(Chart.Options.defaults());
    Chart.Rendered after =
        Chart.render(Chart.Options.defaults().set("services.inference.env.LOG_LEVEL", "debug"));

    assertThat(checksum(after, "parley-inference"))
        .isNotEqualTo(checksum(before, "parley-inference"));
    assertThat(checksum(after, "parley-gateway"))
        .as("another service's change does not roll the gateway")
        .isEqualTo(checksum(before, "parley-gateway"));
    assertThat(after.configMap("parley-inference").getData()).containsEntry("LOG_LEVEL", "debug");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a-rather-long-release-name-for-the-platform-team-x1",
        "parley-with-an-equally-long-release-name-for-tests1"
      })
  void namesStayWithin63CharactersForLongReleaseNames(String release) {
    Chart.Options options =
        Chart.Options.defaults()
            .release(release)
            .values(Chart.dir().resolve("ci/production-values.yaml"))
            .set("services.embeddings.enabled", "true")
            .set("services.safety.enabled", "true");
    Chart.Rendered rendered = Chart.render(options);

    assertThat(rendered.resources()).hasSizeGreaterThan(10);
    Set<String> identities = new HashSet<>();
    for (HasMetadata resource : rendered.resources()) {
      String name = resource.getMetadata().getName();
      assertThat(name).hasSizeLessThanOrEqualTo(63).matches("[a-z]([-a-z0-9]*[a-z0-9])?");
      assertThat(identities.add(resource.getKind() + "/" + name)).as(name).isTrue();
      resource
          .getMetadata()
          .getLabels()
          .values()
          .forEach(value -> assertThat(value).hasSizeLessThanOrEqualTo(63));
    }
    for (Deployment deployment : rendered.all(Deployment.class)) {
      String component = deployment.getMetadata().getLabels().get("app.kubernetes.io/component");
      assertThat(deployment.getMetadata().getName()).endsWith("-" + component);
    }
    String inference =
        rendered.all(Service.class).stream()
            .map(s -> s.getMetadata().getName())
            .filter(n -> n.endsWith("-inference"))
            .findFirst()
            .orElseThrow();
    assertThat(
            rendered.all(ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().endsWith("-gateway"))
                .findFirst()
                .orElseThrow()
                .getData())
        .containsEntry("PARLEY_INFERENCE_TARGET", "dns:///" + inference + ":9090");
  }

  @Test
  void fullnameOverrideIsTruncatedWithoutCollisions() {
    Chart.Rendered rendered =
        Chart.render(Chart.Options.defaults().set("fullnameOverride", "x".repeat(70)));

    assertThat(rendered.all(Deployment.class))
        .extracting(d -> d.getMetadata().getName())
        .allMatch(n -> n.length() <= 63)
        .doesNotHaveDuplicates()
        .anyMatch(n -> n.endsWith("-gateway"))
        .anyMatch(n -> n.endsWith("-inference"));
  }

  @Test
  void helmTestPodCallsTheGatewayReadiness(@TempDir Path copy) throws IOException {
    // helm template prints hooks separately from the manifest; render a copy of the chart in
    // which the test pod is an ordinary resource.
    copyTree(Chart.dir(), copy);
    Path test = copy.resolve("templates/tests/test-gateway-ready.yaml");
    String source = Files.readString(test);
    assertThat(source).contains("helm.sh/hook: test");
    Files.writeString(test, source.replace("helm.sh/hook:", "parley.test/hook:"));

    List<HasMetadata> resources =
        Manifests.parseAll(Chart.template(copy, Chart.Options.defaults()));

    Pod pod =
        resources.stream()
            .filter(Pod.class::isInstance)
            .map(Pod.class::cast)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no test pod"));
    assertThat(pod.getMetadata().getAnnotations()).containsEntry("parley.test/hook", "test");
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    Container curl = pod.getSpec().getContainers().getFirst();
    assertThat(curl.getCommand()).first().isEqualTo("curl");
    assertThat(curl.getCommand()).contains("--fail", "http://parley-gateway:9080/health/ready");
    assertThat(curl.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
  }

  @Test
  void notesExplainHowToReachTheGateway() {
    String notes = Chart.notes(Chart.Options.defaults());

    assertThat(notes)
        .contains("kubectl --namespace parley port-forward service/parley-gateway 9080:9080")
        .contains("get secret parley-secrets")
        .contains("stories260k");
    String production =
        Chart.notes(
            Chart.Options.defaults().values(Chart.dir().resolve("ci/production-values.yaml")));
    assertThat(production)
        .contains("https://parley.example.com/v1")
        .contains("get secret parley-admin")
        .doesNotContain("stories260k");
  }

  private static String adminKey(Chart.Rendered rendered) {
    return new String(
        Base64.getDecoder()
            .decode(rendered.get(Secret.class, "parley-secrets").getData().get("admin-key")),
        StandardCharsets.UTF_8);
  }

  private static String checksum(Chart.Rendered rendered, String deployment) {
    return rendered
        .deployment(deployment)
        .getSpec()
        .getTemplate()
        .getMetadata()
        .getAnnotations()
        .get("checksum/config");
  }

  static Container container(Deployment deployment) {
    List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
    assertThat(containers).hasSize(1);
    return containers.getFirst();
  }

  static Map<String, Integer> ports(Container container) {
    Map<String, Integer> ports = new java.util.LinkedHashMap<>();
    for (ContainerPort port : container.getPorts()) {
      ports.put(port.getName(), port.getContainerPort());
    }
    return ports;
  }

  static List<EnvVar> envOf(Container container) {
    return container.getEnv() == null ? List.of() : container.getEnv();
  }

  static String httpGet(HTTPGetAction action) {
    return action.getPort().getStrVal() + " " + action.getPath();
  }

  static VolumeMount mount(Container container, String volume) {
    return container.getVolumeMounts().stream()
        .filter(m -> m.getName().equals(volume))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no mount of " + volume));
  }

  static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : paths.toList()) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.copy(path, target);
        }
      }
    }
  }

  /** The chart's own version, as Chart.yaml declares it (bumped with every chart change). */
  private static String chartVersion() {
    try {
      return java.nio.file.Files.readAllLines(Chart.dir().resolve("Chart.yaml")).stream()
          .filter(line -> line.startsWith("version:"))
          .map(line -> line.substring("version:".length()).strip())
          .findFirst()
          .orElseThrow();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void defaultValuesExportNoSpansAndCreateNoMonitoringResources() {
    Chart.Rendered rendered = Chart.render(Chart.Options.defaults());

    assertThat(rendered.all(ServiceMonitor.class)).isEmpty();
    assertThat(rendered.all(PrometheusRule.class)).isEmpty();
    assertThat(rendered.all(ConfigMap.class))
        .noneMatch(c -> c.getMetadata().getLabels().containsKey("grafana_dashboard"));
    for (ConfigMap config : rendered.all(ConfigMap.class)) {
      assertThat(config.getData().keySet()).noneMatch(k -> k.startsWith("OTEL_"));
      assertThat(config.getData()).doesNotContainKey("PARLEY_METRICS_TOKEN_FILE");
    }
  }

  @Test
  void observabilityValues_scrapeEveryService_alert_drawADashboard_andScaleInferenceOnItsQueue()
      throws IOException {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults().values(Chart.dir().resolve("ci/observability-values.yaml")));

    List<ServiceMonitor> monitors = rendered.all(ServiceMonitor.class);
    assertThat(monitors)
        .extracting(m -> m.getMetadata().getName())
        .containsExactlyInAnyOrderElementsOf(
            rendered.all(Service.class).stream().map(s -> s.getMetadata().getName()).toList());
    for (ServiceMonitor monitor : monitors) {
      Service service = rendered.service(monitor.getMetadata().getName());
      assertThat(service.getMetadata().getLabels())
          .containsAllEntriesOf(monitor.getSpec().getSelector().getMatchLabels());
      assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
      assertThat(monitor.getSpec().getEndpoints())
          .singleElement()
          .satisfies(
              endpoint -> {
                assertThat(endpoint.getPath()).isEqualTo("/metrics");
                assertThat(endpoint.getPort()).isEqualTo("http");
                assertThat(endpoint.getAuthorization().getType()).isEqualTo("Bearer");
                assertThat(endpoint.getAuthorization().getCredentials().getName())
                    .isEqualTo("parley-metrics");
                assertThat(endpoint.getAuthorization().getCredentials().getKey())
                    .isEqualTo("token");
                assertThat(service.getSpec().getPorts())
                    .anyMatch(p -> p.getName().equals(endpoint.getPort()));
              });
    }

    // The scrape token: a file from the named Secret in every pod, its path in the environment.
    for (var deployment : rendered.all(io.fabric8.kubernetes.api.model.apps.Deployment.class)) {
      var pod = deployment.getSpec().getTemplate().getSpec();
      assertThat(pod.getVolumes())
          .filteredOn(v -> v.getName().equals("metrics-token"))
          .singleElement()
          .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("parley-metrics"));
      assertThat(pod.getContainers().getFirst().getVolumeMounts())
          .anyMatch(
              m ->
                  m.getName().equals("metrics-token")
                      && m.getMountPath().equals("/etc/parley/metrics")
                      && Boolean.TRUE.equals(m.getReadOnly()));
    }
    for (var service : rendered.all(Service.class)) {
      assertThat(rendered.configMap(service.getMetadata().getName()).getData())
          .containsEntry("PARLEY_METRICS_TOKEN_FILE", "/etc/parley/metrics/token");
    }

    PrometheusRule rule = rendered.get(PrometheusRule.class, "parley");
    var alerts = rule.getSpec().getGroups().getFirst().getRules();
    assertThat(alerts)
        .extracting(r -> r.getAlert())
        .containsExactly(
            "ParleyHighErrorRatio", "ParleySlowFirstToken", "ParleyInferenceQueueSaturated");
    assertThat(alerts.get(0).getExpr().getStrVal())
        .contains("parley_http_server_duration_seconds_count{namespace=\"parley\",status=\"5xx\"}")
        .contains("> 0.02");
    assertThat(alerts.get(1).getExpr().getStrVal())
        .contains("histogram_quantile(0.99")
        .contains("parley_gateway_time_to_first_token_seconds_bucket")
        .contains("> 3");
    assertThat(alerts.get(2).getExpr().getStrVal())
        .contains("parley_inference_queue_depth")
        .contains("parley_inference_slots_busy");

    ConfigMap dashboard = rendered.configMap("parley-dashboard");
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    var json =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(dashboard.getData().get("parley.json"));
    assertThat(json.path("uid").asText()).isEqualTo("parley-overview");
    assertThat(json.path("panels").size()).isGreaterThanOrEqualTo(8);
    assertThat(json.toString())
        .contains("parley_inference_queue_depth")
        .contains("parley_gateway_inter_token_latency_seconds_bucket");

    HorizontalPodAutoscaler hpa = rendered.get(HorizontalPodAutoscaler.class, "parley-inference");
    assertThat(hpa.getSpec().getMetrics())
        .anySatisfy(
            metric -> {
              assertThat(metric.getType()).isEqualTo("Pods");
              assertThat(metric.getPods().getMetric().getName())
                  .isEqualTo("parley_inference_queue_depth");
              assertThat(metric.getPods().getTarget().getAverageValue().toString()).isEqualTo("4");
            });

    assertThat(rendered.configMap("parley-inference").getData())
        .containsEntry("OTEL_TRACES_EXPORTER", "otlp")
        .containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability:4318")
        .containsEntry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .containsEntry("OTEL_TRACES_SAMPLER_ARG", "0.25");
  }

  @Test
  void kedaOptionRendersAScaledObjectOnTheQueueInsteadOfTheHpa() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.inference.autoscaling.enabled", "true")
                .set("services.inference.autoscaling.minReplicas", "1")
                .set("services.inference.autoscaling.maxReplicas", "6")
                .set("services.inference.autoscaling.targetCPUUtilizationPercentage", "0")
                .set("services.inference.autoscaling.targetQueueDepth", "4")
                .set("services.inference.autoscaling.keda.enabled", "true")
                .set(
                    "services.inference.autoscaling.keda.serverAddress",
                    "http://prometheus-operated.monitoring:9090")
                .set(
                    "services.inference.autoscaling.behavior.scaleDown.stabilizationWindowSeconds",
                    "600"));

    assertThat(rendered.find(HorizontalPodAutoscaler.class, "parley-inference"))
        .as("KEDA owns the HPA")
        .isEmpty();
    assertThat(rendered.deployment("parley-inference").getSpec().getReplicas()).isNull();
    ScaledObject.Spec spec = rendered.get(ScaledObject.class, "parley-inference").getSpec();
    assertThat(spec.scaleTargetRef().name()).isEqualTo("parley-inference");
    assertThat(spec.scaleTargetRef().kind()).isEqualTo("Deployment");
    assertThat(spec.minReplicaCount()).isEqualTo(1);
    assertThat(spec.maxReplicaCount()).isEqualTo(6);
    assertThat(
            spec.advanced()
                .horizontalPodAutoscalerConfig()
                .behavior()
                .getScaleDown()
                .getStabilizationWindowSeconds())
        .isEqualTo(600);
    assertThat(spec.triggers())
        .singleElement()
        .satisfies(
            trigger -> {
              assertThat(trigger.type()).isEqualTo("prometheus");
              assertThat(trigger.metadata())
                  .containsEntry("serverAddress", "http://prometheus-operated.monitoring:9090")
                  .containsEntry("threshold", "4")
                  .containsEntry(
                      "query",
                      "sum(parley_inference_queue_depth{namespace=\"parley\","
                          + "service=\"parley-inference\"})");
            });
    // Only the service that asked for it.
    assertThat(rendered.all(ScaledObject.class)).hasSize(1);
  }

  @Test
  void kedaOptionOnCpuNeedsNoPrometheus_andAQueueTriggerDoes() {
    Chart.Rendered rendered =
        Chart.render(
            Chart.Options.defaults()
                .set("services.gateway.autoscaling.enabled", "true")
                .set("services.gateway.autoscaling.keda.enabled", "true")
                .set("redis.url", "redis://redis:6379"));
    assertThat(rendered.get(ScaledObject.class, "parley-gateway").getSpec().triggers())
        .singleElement()
        .satisfies(
            trigger -> {
              assertThat(trigger.type()).isEqualTo("cpu");
              assertThat(trigger.metricType()).isEqualTo("Utilization");
              assertThat(trigger.metadata()).containsEntry("value", "70");
            });
    assertThat(rendered.find(HorizontalPodAutoscaler.class, "parley-gateway")).isEmpty();

    assertThatThrownBy(
            () ->
                Chart.render(
                    Chart.Options.defaults()
                        .set("services.inference.autoscaling.enabled", "true")
                        .set("services.inference.autoscaling.targetQueueDepth", "4")
                        .set("services.inference.autoscaling.keda.enabled", "true")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("serverAddress");
  }
}
