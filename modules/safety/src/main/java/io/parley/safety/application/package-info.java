/** Use cases of the safety service: moderate texts, read and set screening policies. */
package io.parley.safety.application;
