/** The host a service runs on and the defaults (thread counts, waiting policy) derived from it. */
package io.parley.common.runtime;
