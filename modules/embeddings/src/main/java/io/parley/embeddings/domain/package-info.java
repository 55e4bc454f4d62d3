/**
 * What the embeddings service is about, free of transport and runtime: models, inputs, vectors, the
 * engine contract and the service's error family ({@link
 * io.parley.embeddings.domain.EmbeddingsException}).
 */
package io.parley.embeddings.domain;
