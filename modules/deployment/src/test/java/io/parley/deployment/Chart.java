package io.parley.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** The Helm chart under test, rendered offline through the Helm library. */
final class Chart {

  /** Kubernetes version the chart is rendered for. */
  static final String KUBE_VERSION = "1.31.0";

  static final String NAMESPACE = "parley";

  private Chart() {}

  /** The chart directory (helm/parley), from the build's system property. */
  static Path dir() {
    return Path.of(System.getProperty("parley.chart.dir", "../../helm/parley"))
        .toAbsolutePath()
        .normalize();
  }

  /** The chart's ci/*-values.yaml files. */
  static List<Path> ciValuesFiles() {
    try (Stream<Path> files = Files.list(dir().resolve("ci"))) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-values.yaml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What to render: release name, values files and --set values. */
  record Options(String release, List<Path> valuesFiles, Map<String, String> set) {

    static Options defaults() {
      return new Options("parley", List.of(), Map.of());
    }

    Options release(String name) {
      return new Options(name, valuesFiles, set);
    }

    Options values(Path file) {
      List<Path> files = new ArrayList<>(valuesFiles);
      files.add(file);
      return new Options(release, files, set);
    }

    Options set(String key, String value) {
      Map<String, String> values = new LinkedHashMap<>(set);
      values.put(key, value);
      return new Options(release, valuesFiles, values);
    }
  }

  /** Renders the chart in {@code chartDir} like {@code helm template}. */
  static String template(Path chartDir, Options options) {
    TemplateCommand command =
        new Helm(chartDir)
            .template()
            .withName(options.release())
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION);
    for (Path file : options.valuesFiles()) {
      command = command.withValuesFile(file);
    }
    for (Map.Entry<String, String> entry : options.set().entrySet()) {
      command = command.set(entry.getKey(), entry.getValue());
    }
    return command.call();
  }

  /** Renders the chart and parses every manifest strictly. */
  static Rendered render(Options options) {
    return new Rendered(Manifests.parseAll(template(dir(), options)));
  }

  /** The NOTES.txt shown after install (a client-side dry run: no cluster involved). */
  static String notes(Options options) {
    InstallCommand command =
        new Helm(dir())
            .install()
            .withName(options.release())
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION)
            .dryRun()
            .withDryRunOption(DryRun.CLIENT)
            .clientOnly();
    for (Path file : options.valuesFiles()) {
      command = command.withValuesFile(file);
    }
    for (Map.Entry<String, String> entry : options.set().entrySet()) {
      command = command.set(entry.getKey(), entry.getValue());
    }
    String output = command.call().getOutput();
    assertThat(output).contains("NOTES:");
    return output.substring(output.indexOf("NOTES:"));
  }

  /** Rendered resources with typed look-ups. */
  record Rendered(List<HasMetadata> resources) {

    <T extends HasMetadata> List<T> all(Class<T> type) {
      return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
      return all(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
      return find(type, name)
          .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " named " + name));
    }

    /** The resources of one component (app.kubernetes.io/component). */
    List<HasMetadata> component(String component) {
      return resources.stream()
          .filter(
              r ->
                  r.getMetadata().getLabels() != null
                      && component.equals(
                          r.getMetadata().getLabels().get("app.kubernetes.io/component")))
          .toList();
    }

    Deployment deployment(String name) {
      return get(Deployment.class, name);
    }

    Service service(String name) {
      return get(Service.class, name);
    }

    ConfigMap configMap(String name) {
      return get(ConfigMap.class, name);
    }
  }
}
