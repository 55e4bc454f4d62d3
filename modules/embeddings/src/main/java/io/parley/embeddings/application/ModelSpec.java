package io.parley.embeddings.application;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One configured embedding model.
 *
 * @param id the id clients use
 * @param engine {@code onnx} (in process) or {@code openai} (a remote OpenAI-compatible or TEI
 *     server)
 * @param source for onnx: {@code bundled-minilm}, {@code bundled-bge} or {@code path}
 * @param path for source {@code path}: a directory with {@code model.onnx} (or {@code
 *     onnx/model.onnx}) and {@code tokenizer.json}
 * @param modelFile for source {@code path}: the ONNX file, when not in {@code path}
 * @param tokenizerFile for source {@code path}: the tokenizer.json, when not in {@code path}
 * @param pooling for source {@code path}: {@code mean} or {@code cls} (bundled models know theirs)
 * @param maxInputTokens tokens one input may have; empty = the model's own (bundled) or 512
 * @param supportsDimensions whether smaller vectors may be asked for (Matryoshka-trained models)
 * @param dimensions for openai: the native vector size, when known in advance (0 = learnt from the
 *     first answer)
 * @param baseUrl for openai: base URL ending in {@code /v1}
 * @param remoteModel for openai: the model's name on the remote server
 * @param apiKeyFile for openai: a file holding the bearer key (mounted from a Secret)
 * @param ownedBy owner shown by the model listing
 */
public record ModelSpec(
    String id,
    String engine,
    String source,
    Optional<Path> path,
    Optional<Path> modelFile,
    Optional<Path> tokenizerFile,
    Optional<String> pooling,
    OptionalInt maxInputTokens,
    boolean supportsDimensions,
    int dimensions,
    Optional<URI> baseUrl,
    String remoteModel,
    Optional<Path> apiKeyFile,
    String ownedBy) {}
