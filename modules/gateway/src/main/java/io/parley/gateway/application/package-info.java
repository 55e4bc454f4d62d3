/**
 * The gateway's use cases: authenticate a caller, list models, generate text (one call per prompt,
 * whole or streamed). Transport-free; the REST layer maps requests to these and results back.
 */
package io.parley.gateway.application;
