/**
 * What the safety service runs on: the in-process ONNX sentence encoder (the embeddings module's
 * engine), the heads resource, the policy store, configuration and the lifecycle of the gRPC
 * server.
 */
package io.parley.safety.infrastructure;
