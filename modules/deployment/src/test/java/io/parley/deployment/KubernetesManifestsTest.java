package io.parley.deployment;

import static io.parley.deployment.HelmChartTest.container;
import static io.parley.deployment.HelmChartTest.httpGet;
import static io.parley.deployment.HelmChartTest.mount;
import static io.parley.deployment.HelmChartTest.ports;
import static io.parley.deployment.HelmChartTest.volume;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plain manifests under k8s/ (a kustomize base and overlays). There is no kustomize here, so
 * every file is parsed strictly and every reference between kustomizations and files is checked.
 */
class KubernetesManifestsTest {

  private static FakeKubernetesApi api;

  @BeforeAll
  static void startApi() {
    api = FakeKubernetesApi.start();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  /** The fields of a kustomization.yaml that these manifests use; anything else fails. */
  record Kustomization(
      String apiVersion,
      String kind,
      String namespace,
      List<String> resources,
      List<Patch> patches,
      List<Replica> replicas,
      List<Label> labels) {

    List<String> resourcesOrEmpty() {
      return resources == null ? List.of() : resources;
    }

    List<Patch> patchesOrEmpty() {
      return patches == null ? List.of() : patches;
    }
  }

  record Patch(String path, String patch, Map<String, String> target) {}

  record Replica(String name, int count) {}

  record Label(Map<String, String> pairs, Boolean includeSelectors, Boolean includeTemplates) {}

  static Path root() {
    return Path.of(System.getProperty("parley.k8s.dir", "../../k8s")).toAbsolutePath().normalize();
  }

  static Path base() {
    return root().resolve("base");
  }

  static List<Path> yamlFiles() {
    try (Stream<Path> files = Files.walk(root())) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Path> manifestFiles() {
    return yamlFiles().stream().filter(f -> !isKustomization(f)).toList();
  }

  static List<Path> kustomizations() {
    return yamlFiles().stream().filter(KubernetesManifestsTest::isKustomization).toList();
  }

  private static boolean isKustomization(Path file) {
    return file.getFileName().toString().equals("kustomization.yaml");
  }

  static Kustomization kustomization(Path file) {
    try {
      List<JsonNode> documents = Manifests.documents(Files.readString(file));
      assertThat(documents).as("%s", file).hasSize(1);
      return Manifests.STRICT.treeToValue(documents.getFirst(), Kustomization.class);
    } catch (IOException e) {
      throw new UncheckedIOException(file.toString(), e);
    }
  }

  static List<HasMetadata> parse(Path file) {
    try {
      return Manifests.parseAll(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(file.toString(), e);
    }
  }

  /** The resources a kustomization lists, recursively through directories (patches not applied). */
  static List<HasMetadata> resources(Path kustomizationDir) {
    List<HasMetadata> resources = new ArrayList<>();
    Kustomization k = kustomization(kustomizationDir.resolve("kustomization.yaml"));
    for (String entry : k.resourcesOrEmpty()) {
      Path path = kustomizationDir.resolve(entry).normalize();
      if (Files.isDirectory(path)) {
        resources.addAll(resources(path));
      } else {
        resources.addAll(parse(path));
      }
    }
    return resources;
  }

  private static <T extends HasMetadata> T get(List<HasMetadata> all, Class<T> type, String name) {
    return all.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(r -> r.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  @Test
  void theTreeHasABaseAndTwoOverlays() {
    assertThat(base().resolve("kustomization.yaml")).isRegularFile();
    assertThat(root().resolve("overlays/local/kustomization.yaml")).isRegularFile();
    assertThat(root().resolve("overlays/production/kustomization.yaml")).isRegularFile();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("manifestFiles")
  void everyManifestParsesStrictly(Path file) {
    List<HasMetadata> resources = parse(file);

    assertThat(resources).as("%s", file).isNotEmpty();
    for (HasMetadata resource : resources) {
      assertThat(resource.getMetadata().getName()).hasSizeLessThanOrEqualTo(63);
      assertThat(resource.getMetadata().getNamespace())
          .as("namespace is set by the overlays")
          .isNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kustomizations")
  void kustomizationsReferenceFilesThatExist(Path file) {
    Kustomization k = kustomization(file);
    Path dir = file.getParent();

    assertThat(k.apiVersion()).isEqualTo("kustomize.config.k8s.io/v1beta1");
    assertThat(k.kind()).isEqualTo("Kustomization");
    for (String entry : k.resourcesOrEmpty()) {
      Path path = dir.resolve(entry).normalize();
      assertThat(path).as("%s: resource %s", file, entry).exists();
      if (Files.isDirectory(path)) {
        assertThat(path.resolve("kustomization.yaml")).isRegularFile();
      }
    }
    Set<String> known = new HashSet<>();
    for (HasMetadata resource : resources(dir)) {
      known.add(resource.getKind() + "/" + resource.getMetadata().getName());
    }
    for (Patch patch : k.patchesOrEmpty()) {
      assertThat(patch.path()).as("%s: patches are files", file).isNotNull();
      Path path = dir.resolve(patch.path()).normalize();
      assertThat(path).as("%s: patch %s", file, patch.path()).isRegularFile();
      List<HasMetadata> patched = parse(path);
      assertThat(patched).as("one strategic-merge patch per file: %s", path).hasSize(1);
      HasMetadata target = patched.getFirst();
      assertThat(known)
          .as("%s patches a resource of the kustomization", path)
          .contains(target.getKind() + "/" + target.getMetadata().getName());
    }
    if (k.replicas() != null) {
      for (Replica replica : k.replicas()) {
        assertThat(known).contains("Deployment/" + replica.name());
      }
    }
  }

  @Test
  void everyManifestIsReferencedExceptTheSecretExample() {
    Set<Path> referenced = new HashSet<>();
    for (Path file : kustomizations()) {
      Kustomization k = kustomization(file);
      k.resourcesOrEmpty().forEach(r -> referenced.add(file.getParent().resolve(r).normalize()));
      k.patchesOrEmpty()
          .forEach(p -> referenced.add(file.getParent().resolve(p.path()).normalize()));
    }
    assertThat(manifestFiles())
        .filteredOn(f -> !referenced.contains(f))
        .containsExactlyInAnyOrder(
            base().resolve("secret.example.yaml"),
            base().resolve("certificates.example.yaml"),
            base().resolve("monitoring.example.yaml"),
            base().resolve("../files/files-certificate.example.yaml").normalize());
  }

  @Test
  void monitoringExampleScrapesMetricsOnAPortEachServiceHas() {
    List<HasMetadata> base = resources(base());
    List<HasMetadata> monitors = parse(base().resolve("monitoring.example.yaml"));

    assertThat(monitors).hasSize(2);
    for (HasMetadata resource : monitors) {
      var monitor = (io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor) resource;
      Service service = get(base, Service.class, monitor.getMetadata().getName());
      assertThat(service.getMetadata().getLabels())
          .containsAllEntriesOf(monitor.getSpec().getSelector().getMatchLabels());
      var endpoint = monitor.getSpec().getEndpoints().getFirst();
      assertThat(endpoint.getPath()).isEqualTo("/metrics");
      assertThat(service.getSpec().getPorts())
          .anyMatch(p -> p.getName().equals(endpoint.getPort()));
    }
  }

  @Test
  void theSecretIsOnlyAnExampleWithoutAKey() {
    List<HasMetadata> example = parse(base().resolve("secret.example.yaml"));

    assertThat(example)
        .singleElement()
        .isInstanceOfSatisfying(
            Secret.class,
            secret -> {
              assertThat(secret.getMetadata().getName()).isEqualTo("parley-secrets");
              assertThat(secret.getData()).isNullOrEmpty();
              assertThat(secret.getStringData())
                  .containsOnlyKeys("admin-key")
                  .hasValueSatisfying(
                      new org.assertj.core.api.Condition<>(
                          v -> v.startsWith("REPLACE"), "a placeholder"));
            });
    for (Path overlay :
        List.of(base(), root().resolve("overlays/local"), root().resolve("overlays/production"))) {
      assertThat(resources(overlay)).noneMatch(Secret.class::isInstance);
    }
  }

  @Test
  void baseDeploymentsAreLockedDownAndProbed() {
    List<HasMetadata> base = resources(base());

    for (String name : List.of("parley-gateway", "parley-inference")) {
      Deployment deployment = get(base, Deployment.class, name);
      assertThat(deployment.getSpec().getReplicas())
          .as("replicas belong to the overlays and the HPA")
          .isNull();
      PodSpec pod = deployment.getSpec().getTemplate().getSpec();
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(pod.getSecurityContext().getSeccompProfile().getType())
          .isEqualTo("RuntimeDefault");
      assertThat(pod.getAutomountServiceAccountToken()).isFalse();
      Container container = container(deployment);
      assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(httpGet(container.getStartupProbe().getHttpGet()))
          .isEqualTo("http /health/started");
      assertThat(httpGet(container.getLivenessProbe().getHttpGet())).isEqualTo("http /health/live");
      assertThat(httpGet(container.getReadinessProbe().getHttpGet()))
          .isEqualTo("http /health/ready");
      for (String path : List.of("/tmp", "/opt/ol/wlp/output")) {
        String volumeName =
            container.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(path))
                .findFirst()
                .orElseThrow()
                .getName();
        assertThat(volume(pod, volumeName).getEmptyDir()).isNotNull();
      }
      String configMap = container.getEnvFrom().getFirst().getConfigMapRef().getName();
      assertThat(get(base, ConfigMap.class, configMap)).isNotNull();
    }
  }

  @Test
  void baseServicesMatchTheirDeployments() {
    List<HasMetadata> base = resources(base());

    for (Service service :
        base.stream().filter(Service.class::isInstance).map(Service.class::cast).toList()) {
      Deployment deployment = get(base, Deployment.class, service.getMetadata().getName());
      assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
          .containsAllEntriesOf(service.getSpec().getSelector());
      for (ServicePort port : service.getSpec().getPorts()) {
        assertThat(ports(container(deployment))).containsKey(port.getTargetPort().getStrVal());
      }
    }
    assertThat(get(base, Service.class, "parley-inference").getSpec().getClusterIP())
        .isEqualTo("None");
    assertThat(
            get(base, Service.class, "parley-inference").getSpec().getPorts().getFirst().getPort())
        .isEqualTo(9090);
    assertThat(get(base, ConfigMap.class, "parley-gateway").getData())
        .containsEntry("PARLEY_INFERENCE_TARGET", "dns:///parley-inference:9090")
        .containsEntry("PARLEY_GATEWAY_ADMIN_KEY_FILE", "/etc/parley/secrets/admin-key");
  }

  @Test
  void baseGatewayMountsTheAdminKeyFile() {
    Deployment gateway = get(resources(base()), Deployment.class, "parley-gateway");

    Volume volume = volume(gateway.getSpec().getTemplate().getSpec(), "admin-key");
    assertThat(volume.getSecret().getSecretName()).isEqualTo("parley-secrets");
    assertThat(volume.getSecret().getItems().getFirst().getKey()).isEqualTo("admin-key");
    assertThat(volume.getSecret().getItems().getFirst().getPath()).isEqualTo("admin-key");
    assertThat(mount(container(gateway), "admin-key").getMountPath())
        .isEqualTo("/etc/parley/secrets");
    assertThat(container(gateway).getEnv()).isNullOrEmpty();
  }

  @Test
  void productionScalesWithHpasAndBudgetsAndRestrictsIngress() {
    Path production = root().resolve("overlays/production");
    List<HasMetadata> all = resources(production);
    Kustomization k = kustomization(production.resolve("kustomization.yaml"));

    assertThat(k.replicas()).as("the HPAs own the replica counts").isNull();
    for (String name : List.of("parley-gateway", "parley-inference")) {
      Deployment deployment = get(all, Deployment.class, name);
      HorizontalPodAutoscaler hpa = get(all, HorizontalPodAutoscaler.class, name);
      assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(name);
      assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
      assertThat(get(all, PodDisruptionBudget.class, name).getSpec().getSelector().getMatchLabels())
          .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
      assertThat(get(all, NetworkPolicy.class, name).getSpec().getPodSelector().getMatchLabels())
          .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    }
    for (Path file : manifestFiles()) {
      if (file.startsWith(production)) {
        parse(file).stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .forEach(d -> assertThat(d.getSpec().getReplicas()).as("%s", file).isNull());
      }
    }
  }

  @Test
  void localRunsOneReplicaOfEachService() {
    Kustomization k = kustomization(root().resolve("overlays/local/kustomization.yaml"));

    assertThat(k.replicas())
        .extracting(Replica::name, Replica::count)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("parley-gateway", 1),
            org.assertj.core.groups.Tuple.tuple("parley-inference", 1));
  }

  @Test
  void baseMatchesTheChartRenderedAsReleaseParley() {
    List<HasMetadata> base = new ArrayList<>(resources(base()));
    base.addAll(parse(base().resolve("secret.example.yaml")));
    base.addAll(parse(base().resolve("certificates.example.yaml")));
    Chart.Rendered chart =
        Chart.render(
            Chart.Options.defaults()
                .set("tls.certManager.enabled", "true")
                .set("tls.certManager.issuerRef.name", "parley-ca")
                .set("models.served.stories260k", "null")
                .set(
                    "models.served.qwen2\\.5-0\\.5b-instruct.url",
                    "https://models.example.org/m.gguf")
                .set(
                    "models.served.qwen2\\.5-0\\.5b-instruct.sha256",
                    "0f2a3c5e7b9d1f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a")
                .set("models.threads", "2")
                .set("models.slots", "4"));

    assertThat(base)
        .extracting(r -> r.getKind() + "/" + r.getMetadata().getName())
        .containsExactlyInAnyOrderElementsOf(
            chart.resources().stream()
                .map(r -> r.getKind() + "/" + r.getMetadata().getName())
                .toList());
    for (String name : List.of("parley-gateway", "parley-inference")) {
      assertThat(get(base, ConfigMap.class, name).getData().keySet())
          .as("%s configuration keys", name)
          .containsExactlyInAnyOrderElementsOf(chart.configMap(name).getData().keySet());
      assertThat(ports(container(get(base, Deployment.class, name))))
          .isEqualTo(ports(container(chart.deployment(name))));
    }
  }

  @Test
  void filesTrainerJobsKustomization_grantsWhatTheChartGrants_andSharesTheWorkVolume() {
    Path dir = root().resolve("files-trainer-jobs");
    List<HasMetadata> all = resources(dir);
    Chart.Rendered chart =
        Chart.render(
            Chart.Options.defaults()
                .set("services.files.enabled", "true")
                .set("fineTuning.runner", "kubernetes"));

    var role =
        get(all, io.fabric8.kubernetes.api.model.rbac.Role.class, "parley-files-trainer-jobs");
    assertThat(role.getRules())
        .isEqualTo(
            chart
                .get(io.fabric8.kubernetes.api.model.rbac.Role.class, "parley-files-trainer-jobs")
                .getRules());
    var binding =
        get(
            all,
            io.fabric8.kubernetes.api.model.rbac.RoleBinding.class,
            "parley-files-trainer-jobs");
    assertThat(binding.getSubjects()).extracting(s -> s.getName()).containsExactly("parley-files");
    assertThat(get(all, ServiceAccount.class, "parley-files").getAutomountServiceAccountToken())
        .isTrue();
    assertThat(get(all, PersistentVolumeClaim.class, "parley-fine-tuning-work").getSpec())
        .satisfies(spec -> assertThat(spec.getAccessModes()).containsExactly("ReadWriteMany"));

    var deploymentPatch =
        (Deployment) parse(dir.resolve("files-trainer-jobs-deployment.yaml")).getFirst();
    var chartPod = chart.deployment("parley-files").getSpec().getTemplate().getSpec();
    var patchPod = deploymentPatch.getSpec().getTemplate().getSpec();
    assertThat(patchPod.getServiceAccountName()).isEqualTo(chartPod.getServiceAccountName());
    assertThat(patchPod.getAutomountServiceAccountToken()).isTrue();
    assertThat(patchPod.getContainers().getFirst().getVolumeMounts())
        .isEqualTo(
            chartPod.getContainers().getFirst().getVolumeMounts().stream()
                .filter(m -> m.getName().equals("fine-tuning-work"))
                .toList());
    assertThat(patchPod.getVolumes())
        .isEqualTo(
            chartPod.getVolumes().stream()
                .filter(v -> v.getName().equals("fine-tuning-work"))
                .toList());

    var configPatch =
        (ConfigMap) parse(dir.resolve("files-trainer-jobs-configmap.yaml")).getFirst();
    var base = get(all, ConfigMap.class, "parley-files").getData();
    var merged = new java.util.TreeMap<String, String>(base);
    merged.putAll(configPatch.getData());
    var chartData = chart.configMap("parley-files").getData();
    for (var entry : chartData.entrySet()) {
      if (entry.getKey().startsWith("PARLEY_FINETUNING_")) {
        assertThat(merged).containsEntry(entry.getKey(), entry.getValue());
      }
    }
    assertThat(merged.keySet()).containsAll(chartData.keySet());
  }

  @Test
  void filesKustomizationAddsTheFilesServiceAndPointsTheGatewayAtIt() {
    Path dir = root().resolve("files");
    List<HasMetadata> all = resources(dir);

    Deployment files = get(all, Deployment.class, "parley-files");
    Container container = container(files);
    assertThat(httpGet(container.getReadinessProbe().getHttpGet())).isEqualTo("http /health/ready");
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(
            volume(files.getSpec().getTemplate().getSpec(), "file-store")
                .getPersistentVolumeClaim()
                .getClaimName())
        .isEqualTo("parley-file-store");
    assertThat(
            get(
                all,
                io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class,
                "parley-file-store"))
        .isNotNull();
    assertThat(get(all, Service.class, "parley-files").getSpec().getClusterIP()).isEqualTo("None");
    ConfigMap patch = (ConfigMap) parse(dir.resolve("gateway-files-target.yaml")).getFirst();
    assertThat(patch.getData())
        .containsEntry("PARLEY_FILES_TARGET", "dns:///parley-files:9090")
        .containsEntry("PARLEY_FILES_MAX_UPLOAD_BYTES", "536870912");
    ConfigMap inferencePatch =
        (ConfigMap) parse(dir.resolve("inference-files-target.yaml")).getFirst();
    assertThat(inferencePatch.getData())
        .containsEntry("PARLEY_FILES_TARGET", "dns:///parley-files:9090");
    Chart.Rendered chart =
        Chart.render(Chart.Options.defaults().set("services.files.enabled", "true"));
    assertThat(get(all, ConfigMap.class, "parley-files").getData().keySet())
        .containsAll(chart.configMap("parley-files").getData().keySet());
    assertThat(ports(container)).isEqualTo(ports(container(chart.deployment("parley-files"))));
  }
}
