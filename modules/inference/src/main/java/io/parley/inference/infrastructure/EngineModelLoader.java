package io.parley.inference.infrastructure;

import io.parley.inference.application.ModelLoader;
import io.parley.inference.application.ModelSpec;
import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.TextEngine;
import io.parley.inference.infrastructure.benchmark.BenchmarkEngine;
import io.parley.inference.infrastructure.config.InferenceSettings;
import io.parley.inference.infrastructure.download.ModelDownloader;
import io.parley.inference.infrastructure.llama.LlamaEngine;
import io.parley.inference.infrastructure.llama.LlamaEngineConfig;
import io.parley.inference.infrastructure.openai.OpenAiRemoteEngine;
import io.parley.llama.LlamaException;
import io.parley.llama.LlamaLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Optional;

/**
 * Loads configured models into the embedded llama engine or connects them to a remote server. The
 * {@code benchmark} engine ({@link BenchmarkEngine}) generates a fixed token stream for measuring
 * the services around an engine; it is never a default.
 */
public final class EngineModelLoader implements ModelLoader {

  private static final System.Logger LOG = System.getLogger(EngineModelLoader.class.getName());

  private final InferenceSettings settings;
  private final ModelDownloader downloader;

  public EngineModelLoader(InferenceSettings settings) {
    this.settings = settings;
    this.downloader = new ModelDownloader(settings.cacheDir());
  }

  @Override
  public TextEngine load(ModelSpec spec) {
    return switch (spec.engine()) {
      case "llama" -> loadLlama(spec);
      case "openai" -> connectRemote(spec);
      case BenchmarkEngine.NAME ->
          new BenchmarkEngine(
              spec.id(),
              spec.ownedBy(),
              Instant.now().getEpochSecond(),
              spec.contextLength() > 0 ? spec.contextLength() : settings.ctxPerSlot());
      default ->
          throw new EngineFailureException(
              "Model " + spec.id() + " names an unknown engine '" + spec.engine() + "'");
    };
  }

  private TextEngine loadLlama(ModelSpec spec) {
    var path =
        spec.path()
            .or(
                () ->
                    spec.url()
                        .map(
                            url ->
                                downloader.fetch(
                                    spec.id(),
                                    url,
                                    spec.sha256(),
                                    p ->
                                        LOG.log(
                                            System.Logger.Level.INFO,
                                            "Downloading model {0}: {1} of {2} bytes ({3}%)",
                                            p.modelId(),
                                            p.bytes(),
                                            p.totalBytes(),
                                            p.percent()))))
            .orElseThrow(
                () ->
                    new EngineFailureException(
                        "Model " + spec.id() + " has neither a path nor a url"));
    if (!Files.isRegularFile(path)) {
      throw new EngineFailureException("Model file " + path + " of " + spec.id() + " not found");
    }
    // Loads llama.cpp (once per process) with the waiting policy chosen for this host before the
    // engine asks for it.
    try {
      LlamaLibrary.load(settings.libraryPath(), settings.threadWait());
    } catch (LlamaException e) {
      throw new EngineFailureException(e.getMessage(), e);
    }
    var config =
        new LlamaEngineConfig(
            spec.id(),
            path,
            settings.slots(),
            settings.ctxPerSlot(),
            settings.threads(),
            Math.max(settings.batchSize(), settings.slots()),
            settings.queueCapacity(),
            settings.maxQueueWait(),
            settings.libraryPath());
    return LlamaEngine.load(config);
  }

  private TextEngine connectRemote(ModelSpec spec) {
    var baseUrl =
        spec.baseUrl()
            .orElseThrow(
                () -> new EngineFailureException("Remote model " + spec.id() + " has no base-url"));
    Optional<String> key =
        spec.apiKeyFile()
            .map(
                file -> {
                  try {
                    return Files.readString(file).trim();
                  } catch (IOException e) {
                    throw new EngineFailureException(
                        "The API key file of remote model " + spec.id() + " cannot be read", e);
                  }
                });
    var info =
        new ModelInfo(
            spec.id(),
            spec.ownedBy(),
            Instant.now().getEpochSecond(),
            spec.contextLength(),
            Integer.MAX_VALUE,
            false);
    return new OpenAiRemoteEngine(info, baseUrl, spec.remoteModel(), key, settings.remoteTimeout());
  }
}
