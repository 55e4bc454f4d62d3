/**
 * What the gateway is about, free of transport: the error family every use case raises (each
 * carries the HTTP status, OpenAI error type, code and parameter a client will see) and the value
 * objects the API returns.
 */
package io.parley.gateway.domain;
