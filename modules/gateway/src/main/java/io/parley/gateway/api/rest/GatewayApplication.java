package io.parley.gateway.api.rest;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/**
 * The REST application at {@code /}: resources under {@code /v1}, every other path a 404 envelope.
 */
@ApplicationPath("/")
public class GatewayApplication extends Application {}
