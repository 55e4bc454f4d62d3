/**
 * The OpenAI API's JSON shapes as records. Component names are the camelCase of OpenAI's snake_case
 * fields ({@code finishReason} → {@code finish_reason}); nulls are written, as OpenAI writes them.
 */
package io.parley.gateway.api.rest.dto;
