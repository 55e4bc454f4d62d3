package io.parley.safety.training;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** {@code --name=value} command-line arguments. */
final class Args {

  private final Map<String, String> values = new HashMap<>();

  Args(String[] args) {
    for (var arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException("Expected --name=value, got " + arg);
      }
      int eq = arg.indexOf('=');
      values.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
  }

  java.util.Optional<Path> optionalPath(String name) {
    return java.util.Optional.ofNullable(values.get(name)).map(Path::of);
  }

  Path path(String name) {
    var value = values.get(name);
    if (value == null) {
      throw new IllegalArgumentException("Missing --" + name + "=…");
    }
    return Path.of(value);
  }
}
