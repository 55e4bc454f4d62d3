/**
 * Use cases of the embeddings service: the registry of loaded models and the embed use case that
 * checks a request against the model before handing it to the model's engine.
 */
package io.parley.embeddings.application;
