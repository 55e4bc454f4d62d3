package io.parley.safety.domain;

import java.util.Optional;

/** The moderation categories of OpenAI's {@code /v1/moderations}, by their API names. */
public enum Category {
  HARASSMENT("harassment"),
  HARASSMENT_THREATENING("harassment/threatening"),
  HATE("hate"),
  HATE_THREATENING("hate/threatening"),
  SELF_HARM("self-harm"),
  SELF_HARM_INTENT("self-harm/intent"),
  SELF_HARM_INSTRUCTIONS("self-harm/instructions"),
  SEXUAL("sexual"),
  SEXUAL_MINORS("sexual/minors"),
  VIOLENCE("violence"),
  VIOLENCE_GRAPHIC("violence/graphic");

  private final String id;

  Category(String id) {
    this.id = id;
  }

  /** The name the API uses, such as {@code "self-harm/intent"}. */
  public String id() {
    return id;
  }

  /** The category of an API name. */
  public static Optional<Category> fromId(String id) {
    for (var category : values()) {
      if (category.id.equals(id)) {
        return Optional.of(category);
      }
    }
    return Optional.empty();
  }
}
