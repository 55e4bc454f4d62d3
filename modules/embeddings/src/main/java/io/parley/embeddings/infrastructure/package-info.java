/**
 * How the service runs: settings from MicroProfile Config, the engines (ONNX Runtime in process,
 * remote OpenAI-compatible servers), the loader that builds them, and the runtime bean that starts
 * the gRPC server and the models with the application.
 */
package io.parley.embeddings.infrastructure;
