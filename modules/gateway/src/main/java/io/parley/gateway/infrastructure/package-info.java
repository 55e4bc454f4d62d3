/**
 * Connections to the outside: the gRPC channels to the inference and usage services (one per
 * target, from CDI producers), the fault-tolerant clients that turn gRPC failures into the
 * gateway's errors, the rate limiter's bucket stores (in memory, or Redis through atomic Lua
 * scripts), and the admin key file.
 */
package io.parley.gateway.infrastructure;
