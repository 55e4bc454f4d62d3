/**
 * Connections to the outside: the gRPC channels to the backend services (one per target, from CDI
 * producers), the fault-tolerant clients that implement the application's ports and turn gRPC
 * failures into the gateway's errors, the rate limiter's bucket stores (in memory, or Redis through
 * atomic Lua scripts), the usage outbox journal, and the admin key file.
 */
package io.parley.gateway.infrastructure;
