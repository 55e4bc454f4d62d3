package io.parley.safety.domain;

import java.util.List;

/**
 * How one category is scored from the heads: its score is the lowest score of its heads, and it is
 * flagged when every one of its heads flags. A category with one head is that head; a sub-category
 * such as {@code hate/threatening} combines its parent's head with a narrower one.
 *
 * @param category the category
 * @param heads names of the heads it needs, at least one
 */
public record CategoryRule(Category category, List<String> heads) {
  public CategoryRule {
    heads = List.copyOf(heads);
    if (heads.isEmpty()) {
      throw new IllegalArgumentException("Category " + category.id() + " has no head");
    }
  }
}
