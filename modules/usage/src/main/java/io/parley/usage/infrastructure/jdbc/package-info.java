/**
 * Plain-JDBC persistence of the usage service over a pooled {@link javax.sql.DataSource} (HikariCP
 * inside the application, so the same code runs in Liberty and in tests), with Flyway migrations
 * that run on PostgreSQL and H2 alike.
 */
package io.parley.usage.infrastructure.jdbc;
