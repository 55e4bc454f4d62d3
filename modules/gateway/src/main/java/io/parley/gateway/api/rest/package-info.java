/**
 * The OpenAI REST surface ({@code /v1}): request parsing and validation, authentication and
 * response-header filters, the OpenAI response and SSE encodings, and the one exception mapper that
 * turns every failure into the OpenAI error envelope.
 */
package io.parley.gateway.api.rest;
