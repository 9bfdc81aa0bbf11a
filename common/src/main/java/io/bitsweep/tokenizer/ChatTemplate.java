package io.bitsweep.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import io.bitsweep.JsonErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A model's chat template, rendered with jinjava in the sandbox of {@link TemplateSandbox} so that
 * Hugging Face templates, tool rendering included, produce the text that {@code
 * apply_chat_template} produces.
 *
 * <p>The template comes from the first of these in the model folder: {@code chat_template.jinja},
 * the {@code chat_template} entry of {@code chat_template.json}, the {@code chat_template} entry of
 * {@code tokenizer_config.json}. An entry is a string or a list of {@code {"name", "template"}}
 * objects; from a list, a render with tools uses {@code tool_use} when it exists, and {@code
 * default} otherwise. The special tokens of {@code tokenizer_config.json} ({@code bos_token},
 * {@code eos_token} and the like) are template variables, as in Hugging Face.
 *
 * <p>Messages and tools are plain Java data: maps, lists, strings, numbers, booleans and null.
 * Rendering is thread-safe.
 */
public final class ChatTemplate {
  static final String DEFAULT_NAME = "default";
  static final String TOOL_USE_NAME = "tool_use";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SPECIAL_TOKEN_NAMES =
      List.of(
          "bos_token",
          "eos_token",
          "unk_token",
          "pad_token",
          "sep_token",
          "cls_token",
          "mask_token");

  private final String origin;
  private final Map<String, String> sources;
  private final Map<String, String> specialTokens;
  private final Jinjava jinjava;

  private ChatTemplate(
      String origin, Map<String, String> sources, Map<String, String> specialTokens, Clock clock) {
    this.origin = origin;
    this.sources = Map.copyOf(sources);
    this.specialTokens = Map.copyOf(specialTokens);
    this.jinjava = TemplateSandbox.create(clock);
  }

  /** Creates a template from its Jinja2 source; {@code origin} names it in error messages. */
  public static ChatTemplate of(String source, String origin) {
    return new ChatTemplate(
        origin, Map.of(DEFAULT_NAME, TemplateSource.prepare(source)), Map.of(), Clock.systemUTC());
  }

  /**
   * Loads the chat template of a model folder.
   *
   * @throws ChatTemplateException when the folder has no chat template or a template file is
   *     invalid
   */
  public static ChatTemplate load(Path modelDir) {
    return find(modelDir)
        .orElseThrow(
            () ->
                new ChatTemplateException(
                    "Cannot load the chat template of "
                        + modelDir.toAbsolutePath().normalize()
                        + ": the folder has no chat_template.jinja, no chat_template.json and no"
                        + " chat_template entry in tokenizer_config.json; calibrate this model on"
                        + " plain-text samples only, or add the template of its chat model"));
  }

  /**
   * Finds the chat template of a model folder, if it has one.
   *
   * @throws ChatTemplateException when a template file exists but is invalid
   */
  public static Optional<ChatTemplate> find(Path modelDir) {
    Path dir = modelDir.toAbsolutePath().normalize();
    Map<String, String> tokens = specialTokens(dir.resolve("tokenizer_config.json"));
    Path jinjaFile = dir.resolve("chat_template.jinja");
    if (Files.isRegularFile(jinjaFile)) {
      String source = TemplateSource.prepare(readString(jinjaFile));
      return Optional.of(
          new ChatTemplate(
              jinjaFile.toString(), Map.of(DEFAULT_NAME, source), tokens, Clock.systemUTC()));
    }
    for (String name : List.of("chat_template.json", "tokenizer_config.json")) {
      Path file = dir.resolve(name);
      JsonNode entry = readJson(file).path("chat_template");
      if (!entry.isMissingNode() && !entry.isNull()) {
        return Optional.of(
            new ChatTemplate(file.toString(), templates(file, entry), tokens, Clock.systemUTC()));
      }
    }
    return Optional.empty();
  }

  /** Returns a copy of this template whose {@code strftime_now} reads {@code clock}. */
  public ChatTemplate withClock(Clock clock) {
    return new ChatTemplate(origin, sources, specialTokens, clock);
  }

  /** Returns the file the template came from, or the origin given to {@link #of}. */
  public String origin() {
    return origin;
  }

  /** Returns the special tokens that templates see as variables, by variable name. */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /**
   * Renders a conversation.
   *
   * @param messages the messages, each a map with at least {@code role}
   * @param tools the tool definitions, or null or empty for none
   * @throws ChatTemplateException when the template fails or raises an error
   */
  public String render(
      List<? extends Map<String, ?>> messages,
      List<? extends Map<String, ?>> tools,
      GenerationPrompt prompt) {
    return render(messages, tools, prompt, Map.of());
  }

  /**
   * Renders a conversation with extra template variables, such as {@code enable_thinking}; null
   * stands for none.
   *
   * @throws ChatTemplateException when the template fails or raises an error
   */
  public String render(
      List<? extends Map<String, ?>> messages,
      List<? extends Map<String, ?>> tools,
      GenerationPrompt prompt,
      Map<String, ?> variables) {
    boolean hasTools = tools != null && !tools.isEmpty();
    String name = hasTools && sources.containsKey(TOOL_USE_NAME) ? TOOL_USE_NAME : DEFAULT_NAME;
    Map<String, Object> bindings = new HashMap<>(specialTokens);
    if (variables != null) {
      bindings.putAll(copyMap(variables));
    }
    bindings.put("messages", copy(messages));
    bindings.put("tools", hasTools ? copy(tools) : null);
    bindings.put("add_generation_prompt", prompt == GenerationPrompt.ADD);
    RenderResult result;
    try {
      result = jinjava.renderForResult(sources.get(name), bindings);
    } catch (RuntimeException e) {
      throw new ChatTemplateException(failure(name) + e.getMessage(), e);
    }
    List<TemplateError> fatal =
        result.getErrors().stream()
            .filter(error -> error.getSeverity() == TemplateError.ErrorType.FATAL)
            .toList();
    if (!fatal.isEmpty()) {
      throw new ChatTemplateException(
          failure(name)
              + fatal.stream().map(ChatTemplate::describe).collect(Collectors.joining("; ")));
    }
    return result.getOutput();
  }

  private String failure(String name) {
    String which = sources.size() > 1 ? " (template " + name + ")" : "";
    return "Cannot render the chat template of " + origin + which + ": ";
  }

  private static String describe(TemplateError error) {
    String message = error.getMessage();
    for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
      if (cause instanceof TemplateLibrary.TemplateRaisedException raised) {
        message = "the template raised an error: " + raised.getMessage();
        break;
      }
    }
    return error.getLineno() > 0 ? "line " + error.getLineno() + ": " + message : message;
  }

  private static Map<String, String> templates(Path file, JsonNode entry) {
    Map<String, String> templates = new LinkedHashMap<>();
    if (entry.isTextual()) {
      templates.put(DEFAULT_NAME, TemplateSource.prepare(entry.asText()));
    } else if (entry.isArray()) {
      for (JsonNode named : entry) {
        if (!named.path("name").isTextual() || !named.path("template").isTextual()) {
          throw new ChatTemplateException(
              "Cannot read chat_template of "
                  + file
                  + ": each list entry needs a string \"name\""
                  + " and a string \"template\"; found "
                  + named);
        }
        templates.put(
            named.get("name").asText(), TemplateSource.prepare(named.get("template").asText()));
      }
    }
    if (!templates.containsKey(DEFAULT_NAME)) {
      throw new ChatTemplateException(
          "Cannot read chat_template of "
              + file
              + ": expected a string or a list of named"
              + " templates with one named \"default\"; found "
              + (entry.isArray()
                  ? "the names " + templates.keySet()
                  : "a JSON " + entry.getNodeType()));
    }
    return templates;
  }

  private static Map<String, String> specialTokens(Path tokenizerConfig) {
    JsonNode config = readJson(tokenizerConfig);
    Map<String, String> tokens = new HashMap<>();
    for (String name : SPECIAL_TOKEN_NAMES) {
      JsonNode token = config.path(name);
      JsonNode text = token.isObject() ? token.path("content") : token;
      if (text.isTextual()) {
        tokens.put(name, text.asText());
      }
    }
    return tokens;
  }

  private static JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      return JSON.missingNode();
    }
    try {
      return JSON.readTree(readString(file));
    } catch (JsonProcessingException e) {
      throw new ChatTemplateException(
          "Cannot parse " + file + " as JSON: " + JsonErrors.describe(e), e);
    }
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new ChatTemplateException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Copies template input into mutable maps and lists, so templates cannot change the caller's. */
  private static Object copy(Object value) {
    if (value instanceof Map<?, ?> map) {
      return copyMap(map);
    }
    if (value instanceof List<?> list) {
      List<Object> copied = new ArrayList<>(list.size());
      list.forEach(element -> copied.add(copy(element)));
      return copied;
    }
    return value;
  }

  private static Map<String, Object> copyMap(Map<?, ?> map) {
    Map<String, Object> copied = new LinkedHashMap<>();
    map.forEach((key, element) -> copied.put(String.valueOf(key), copy(element)));
    return copied;
  }
}
