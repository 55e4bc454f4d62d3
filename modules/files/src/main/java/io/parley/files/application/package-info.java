/**
 * Use cases of the files service: uploading (streamed, validated, stored atomically), listing,
 * reading, deleting, multi-part uploads and storage accounting.
 */
package io.parley.files.application;
