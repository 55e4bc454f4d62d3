/**
 * The files domain: stored files, multi-part uploads, the repository and blob-store ports, the
 * "file in use" port the fine-tuning jobs fill, and the one error family ({@link
 * io.parley.files.domain.FilesException}). Imports nothing from gRPC or JDBC.
 */
package io.parley.files.domain;
