/**
 * The JDBC layer shared by the services that keep state (usage, files): {@link
 * io.parley.persistence.Database} opens a HikariCP pool on PostgreSQL or embedded H2 and migrates
 * it with Flyway from an explicit list of migrations ({@link
 * io.parley.persistence.MigrationResources}); {@link io.parley.persistence.Jdbc} runs units of work
 * in transactions retried on deadlocks. Each service supplies its own schema (name, migrations) and
 * its own store exception.
 */
package io.parley.persistence;
