package io.parley.usage.domain;

/**
 * A user as stored: a person or a service account.
 *
 * @param id {@code user-…} or {@code svc-acct-…}
 * @param email e-mail address of a person (a service account's holds its id)
 * @param serviceAccount whether it is a service account
 */
public record Person(String id, String email, boolean serviceAccount) {}
