/** MicroProfile Health checks for the Kubernetes startup, readiness and liveness probes. */
package io.parley.safety.api.health;
