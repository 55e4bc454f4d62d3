package io.parley.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

/** The strict parser itself: it must reject what the Kubernetes API would reject or drop. */
class ManifestsTest {

  private static final String DEPLOYMENT =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: x
      spec:
        replicas: 2
        selector:
          matchLabels: {app: x}
        template:
          metadata:
            labels: {app: x}
          spec:
            containers:
              - name: x
                image: x:1
                resources:
                  requests: {cpu: 250m, memory: 1Gi}
      """;

  @Test
  void parsesAValidManifest() {
    assertThat(Manifests.parseAll(DEPLOYMENT))
        .singleElement()
        .isInstanceOfSatisfying(
            Deployment.class, d -> assertThat(d.getSpec().getReplicas()).isEqualTo(2));
  }

  @Test
  void rejectsAnUnknownField() {
    assertThatThrownBy(() -> Manifests.parseAll(DEPLOYMENT.replace("replicas:", "replica:")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("replica");
  }

  @Test
  void rejectsAnUnknownNestedField() {
    assertThatThrownBy(() -> Manifests.parseAll(DEPLOYMENT.replace("image: x:1", "imag: x:1")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsADuplicateKey() {
    assertThatThrownBy(
            () ->
                Manifests.parseAll(DEPLOYMENT.replace("replicas: 2", "replicas: 2\n  replicas: 3")))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void rejectsAKindOutsideTheKnownSet() {
    assertThatThrownBy(
            () -> Manifests.parseAll(DEPLOYMENT.replace("kind: Deployment", "kind: Deploymnet")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Deploymnet");
  }

  @Test
  void rejectsAFieldAtTheWrongLevel() {
    String misplaced = DEPLOYMENT.replace("  replicas: 2", "  replicas: 2\n  containers: []");

    assertThatThrownBy(() -> Manifests.parseAll(misplaced))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
