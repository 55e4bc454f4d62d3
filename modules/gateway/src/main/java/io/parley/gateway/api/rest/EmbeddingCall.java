package io.parley.gateway.api.rest;

import io.parley.embeddings.v1.EmbedRequest;

/**
 * A validated embeddings request.
 *
 * @param request what the embeddings service is asked
 * @param base64 whether vectors are answered as base64 (little-endian float32) instead of arrays
 */
record EmbeddingCall(EmbedRequest request, boolean base64) {}
