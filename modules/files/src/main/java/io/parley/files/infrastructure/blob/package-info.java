/** Blob stores: a directory (a local directory or a mounted volume) and an S3-compatible bucket. */
package io.parley.files.infrastructure.blob;
