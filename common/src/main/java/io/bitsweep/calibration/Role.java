package io.bitsweep.calibration;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The author of a chat message, as OpenAI-style messages name it. */
public enum Role {
  SYSTEM,
  USER,
  ASSISTANT,
  TOOL;

  /** The allowed names, comma-separated, for error messages. */
  public static final String ALLOWED =
      Arrays.stream(values()).map(Role::jsonName).collect(Collectors.joining(", "));

  /**
   * Returns the name used in JSON: {@code system}, {@code user}, {@code assistant}, {@code tool}.
   */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Returns the role with this JSON name, if there is one. */
  public static Optional<Role> fromJsonName(String name) {
    return Arrays.stream(values()).filter(role -> role.jsonName().equals(name)).findFirst();
  }
}
