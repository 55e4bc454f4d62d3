/**
 * Connections to the outside: the gRPC channel to the inference service (one per target, from a CDI
 * producer), the fault-tolerant inference client that turns gRPC failures into the gateway's
 * errors, and the admin key file.
 */
package io.parley.gateway.infrastructure;
