package io.parley.inference.application;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One model as configured.
 *
 * @param id model id used in requests
 * @param engine {@code llama} (embedded), {@code openai} (remote OpenAI-compatible server) or
 *     {@code benchmark} (a fixed token stream for benchmarks, never for users)
 * @param path local GGUF file (llama), when given
 * @param url where to download the GGUF file once (llama), when no path is given
 * @param sha256 expected SHA-256 of the download, hex; checked when given
 * @param baseUrl base URL of the remote server, e.g. {@code http://vllm:8000/v1} (openai)
 * @param remoteModel model name on the remote server (openai); defaults to the id
 * @param apiKeyFile file holding the remote server's API key (openai), when it needs one
 * @param contextLength context length of the remote model (openai)
 * @param ownedBy owner shown by the model listing
 */
public record ModelSpec(
    String id,
    String engine,
    Optional<Path> path,
    Optional<URI> url,
    Optional<String> sha256,
    Optional<URI> baseUrl,
    String remoteModel,
    Optional<Path> apiKeyFile,
    int contextLength,
    String ownedBy) {}
