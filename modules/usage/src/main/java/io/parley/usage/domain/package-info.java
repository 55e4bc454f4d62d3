/**
 * The usage domain: organizations, members and roles, API keys, limits, prices and the usage
 * ledger, the repository interfaces that store them and the one error family ({@link
 * io.parley.usage.domain.UsageException}). Imports nothing from gRPC or JDBC.
 */
package io.parley.usage.domain;
