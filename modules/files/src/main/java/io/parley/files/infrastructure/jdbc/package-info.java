/** JDBC persistence of the files service: the pool, Flyway migrations and the repositories. */
package io.parley.files.infrastructure.jdbc;
