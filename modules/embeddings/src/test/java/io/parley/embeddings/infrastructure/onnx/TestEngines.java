package io.parley.embeddings.infrastructure.onnx;

import io.parley.embeddings.application.ModelSpec;
import io.parley.embeddings.infrastructure.EngineModelLoader;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** The bundled models as engines, loaded once per test JVM. */
public final class TestEngines {

  /** Batching the tests use: a wait long enough that concurrent callers reliably meet. */
  public static final OnnxEmbeddingEngine.Batching BATCHING =
      new OnnxEmbeddingEngine.Batching(32, 16_384, Duration.ofMillis(20), 8192);

  private static OnnxEmbeddingEngine minilm;

  private TestEngines() {}

  /** all-MiniLM-L6-v2 (int8), shared; never close it. */
  public static synchronized OnnxEmbeddingEngine minilm() {
    if (minilm == null) {
      minilm = load(spec("all-minilm-l6-v2", "bundled-minilm", false));
    }
    return minilm;
  }

  /** A new engine for a spec; the caller closes it. */
  public static OnnxEmbeddingEngine load(ModelSpec spec) {
    return EngineModelLoader.onnx(spec, 2, BATCHING);
  }

  /** The spec of a bundled model. */
  public static ModelSpec spec(String id, String source, boolean supportsDimensions) {
    return new ModelSpec(
        id,
        "onnx",
        source,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        OptionalInt.empty(),
        supportsDimensions,
        0,
        Optional.empty(),
        id,
        Optional.empty(),
        "parley");
  }
}
