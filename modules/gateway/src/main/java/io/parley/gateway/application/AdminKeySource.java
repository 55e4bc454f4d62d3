package io.parley.gateway.application;

/** Where the installation's bootstrap admin key comes from (implemented by the admin key file). */
public interface AdminKeySource {

  /**
   * The key, loaded (or first generated) when asked.
   *
   * @throws IllegalStateException when there is no key and none may be generated
   */
  String adminKey();
}
