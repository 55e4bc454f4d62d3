/** MicroProfile Health checks of the files service (Kubernetes probes). */
package io.parley.files.api.health;
