/**
 * The gateway's use cases: authenticate a caller (bootstrap admin key, or keys resolved by the
 * usage service), admit a generation (rate limits, leased budget) and bill it through the usage
 * outbox, list models, generate text (one call per prompt, whole or streamed), administer the
 * caller's organization. Transport-free; the REST layer maps requests to these and results back.
 */
package io.parley.gateway.application;
