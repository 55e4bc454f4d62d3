/** Wiring, configuration, persistence and blob stores of the files service. */
package io.parley.files.infrastructure;
