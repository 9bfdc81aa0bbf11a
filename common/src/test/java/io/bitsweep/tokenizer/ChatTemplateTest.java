package io.bitsweep.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitsweep.SharedModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Renders the cases of {@code chat-templates/cases.json} and compares them with the Jinja2 renders
 * in {@code chat-templates/expected}, made by {@code reference_render.py} in the same folder.
 */
class ChatTemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RESOURCES = "/chat-templates/";

  /** The time the Jinja2 reference gives strftime_now: 2025-03-14 15:09:26 UTC. */
  private static final Clock REFERENCE_CLOCK =
      Clock.fixed(Instant.parse("2025-03-14T15:09:26Z"), ZoneOffset.UTC);

  private static final List<Map<String, Object>> USER_HELLO =
      List.of(Map.of("role", "user", "content", "Hello"));

  @TempDir Path tmp;

  static Stream<Arguments> cases() throws IOException {
    List<Arguments> cases = new ArrayList<>();
    for (JsonNode testCase : JSON.readTree(resource("cases.json"))) {
      cases.add(Arguments.of(testCase.get("name").asText(), testCase));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rendersLikeJinja2(String name, JsonNode testCase) throws IOException {
    ChatTemplate template =
        switch (testCase.get("template").asText()) {
          case "tiny" -> ChatTemplate.load(SharedModels.require(SharedModels.QWEN35_TINY));
          case "python_like" ->
              ChatTemplate.of(resource("python_like.jinja"), "python_like.jinja")
                  .withClock(REFERENCE_CLOCK);
          case "whitespace" -> ChatTemplate.of(resource("whitespace.jinja"), "whitespace.jinja");
          case "qwen_style" -> ChatTemplate.of(resource("qwen_style.jinja"), "qwen_style.jinja");
          default -> throw new IllegalArgumentException(testCase.toString());
        };
    String expected = resource("expected/" + name + ".txt");
    GenerationPrompt prompt =
        testCase.get("add_generation_prompt").asBoolean()
            ? GenerationPrompt.ADD
            : GenerationPrompt.OMIT;
    String actual =
        template.render(
            list(testCase.get("messages")),
            testCase.has("tools") ? list(testCase.get("tools")) : null,
            prompt,
            JSON.convertValue(
                testCase.path("variables"), new TypeReference<Map<String, Object>>() {}));
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void tinyTemplateMatchesGoldenChatText() throws IOException {
    Path model = SharedModels.require(SharedModels.QWEN35_TINY);
    JsonNode golden = JSON.readTree(model.resolve("golden/chat.json").toFile());
    String actual =
        ChatTemplate.load(model)
            .render(
                List.of(
                    Map.of("role", "system", "content", "You are a kind storyteller."),
                    Map.of("role", "user", "content", "Tell me a short story about a cat.")),
                null,
                GenerationPrompt.ADD);
    assertThat(actual).isEqualTo(golden.get("text").asText());
  }

  @Test
  void tinyTemplateRendersToolCallJson() throws IOException {
    List<Map<String, Object>> messages =
        list(
            JSON.readTree(
                """
                [{"role": "user", "content": "What time is it?"},
                 {"role": "assistant", "content": "", "tool_calls": [
                   {"type": "function",
                    "function": {"name": "get_time", "arguments": {"zone": "UTC"}}}]}]
                """));
    List<Map<String, Object>> tools =
        list(JSON.readTree("[{\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}]"));
    String text =
        ChatTemplate.load(SharedModels.require(SharedModels.QWEN35_TINY))
            .render(messages, tools, GenerationPrompt.OMIT);
    assertThat(text)
        .contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}\n");
    assertThat(text)
        .contains(
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_time\", \"arguments\":"
                + " {\"zone\": \"UTC\"}}\n</tool_call><|im_end|>\n");
  }

  @Test
  void modelWithoutTemplateHasNone() {
    Path model = SharedModels.require(SharedModels.LLAMA_TINY);
    assertThat(ChatTemplate.find(model)).isEmpty();
    assertThatThrownBy(() -> ChatTemplate.load(model))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining(model.toString())
        .hasMessageContaining("no chat_template entry in tokenizer_config.json")
        .hasMessageContaining("plain-text samples");
  }

  @Test
  void jinjaFileWinsOverTokenizerConfig() throws IOException {
    Files.writeString(tmp.resolve("chat_template.jinja"), "file:{{ messages[0].content }}\n");
    Files.writeString(
        tmp.resolve("tokenizer_config.json"),
        "{\"chat_template\": \"config\", \"bos_token\": {\"content\": \"<s>\"}}");
    ChatTemplate template = ChatTemplate.load(tmp);
    assertThat(template.render(USER_HELLO, null, GenerationPrompt.OMIT)).isEqualTo("file:Hello");
    assertThat(template.origin()).endsWith("chat_template.jinja");
    assertThat(template.specialTokens()).containsEntry("bos_token", "<s>");
  }

  @Test
  void namedTemplatesPickToolUseWithTools() throws IOException {
    Files.writeString(
        tmp.resolve("tokenizer_config.json"),
        "{\"chat_template\": [{\"name\": \"default\", \"template\": \"plain\"},"
            + " {\"name\": \"tool_use\", \"template\": \"tools:{{ tools | length }}\"}]}");
    ChatTemplate template = ChatTemplate.load(tmp);
    List<Map<String, Object>> tools = List.of(Map.of("name", "f"));
    assertThat(template.render(USER_HELLO, null, GenerationPrompt.OMIT)).isEqualTo("plain");
    assertThat(template.render(USER_HELLO, tools, GenerationPrompt.OMIT)).isEqualTo("tools:1");
  }

  @Test
  void namedTemplatesNeedDefault() throws IOException {
    Files.writeString(
        tmp.resolve("tokenizer_config.json"),
        "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}");
    assertThatThrownBy(() -> ChatTemplate.load(tmp))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("tokenizer_config.json")
        .hasMessageContaining("one named \"default\"")
        .hasMessageContaining("[rag]");
  }

  @Test
  void chatTemplateJsonIsRead() throws IOException {
    Files.writeString(
        tmp.resolve("chat_template.json"), "{\"chat_template\": \"json:{{ 1 + 1 }}\"}");
    assertThat(ChatTemplate.load(tmp).render(USER_HELLO, null, GenerationPrompt.OMIT))
        .isEqualTo("json:2");
  }

  @Test
  void raisedErrorCarriesTemplateMessage() throws IOException {
    ChatTemplate template = ChatTemplate.of(resource("python_like.jinja"), "python_like.jinja");
    List<Map<String, Object>> messages =
        List.of(
            Map.of("role", "user", "content", "Hi"),
            Map.of("role", "system", "content", "Late system message"));
    assertThatThrownBy(() -> template.render(messages, null, GenerationPrompt.OMIT))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("Cannot render the chat template of python_like.jinja")
        .hasMessageContaining(
            "the template raised an error: System message at position 1 must come first.");
  }

  @Test
  void sandboxRejectsJavaMethods() {
    for (String source :
        List.of(
            "{{ ''.getClass() }}",
            "{{ messages.getClass().forName('java.lang.Runtime') }}",
            "{% for m in messages %}{{ loop.getClass() }}{% endfor %}",
            "{% for class, x in ['a'] %}{{ class.forName('java.lang.Runtime') }}{% endfor %}",
            "{{ messages[0].content.getBytes() }}")) {
      assertThatThrownBy(() -> render(source))
          .as(source)
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining("Cannot call method");
    }
  }

  @Test
  void sandboxHidesJavaProperties() {
    assertThat(render("[{{ ''.class }}][{{ ''.bytes }}][{{ ____int3rpr3t3r____.context }}]"))
        .isEqualTo("[][][]");
  }

  @Test
  void sandboxRejectsIncludedFiles() {
    for (String tag :
        List.of(
            "{% include '/etc/passwd' %}",
            "{% include 'META-INF/MANIFEST.MF' %}",
            "{% import '/etc/hosts' as hosts %}",
            "{% from '/etc/hosts' import x %}",
            "{% extends '/etc/passwd' %}")) {
      String name = tag.substring(3, tag.indexOf(' ', 3));
      assertThatThrownBy(() -> render(tag))
          .as(tag)
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining("'" + name + "' is disabled");
    }
  }

  @Test
  void pythonStringMethodsBehaveLikePython() {
    assertThat(render("{{ 'a,b,,c'.split(',') | tojson }}"))
        .isEqualTo("[\"a\", \"b\", \"\", \"c\"]");
    assertThat(render("{{ '  a  b '.split() | tojson }}")).isEqualTo("[\"a\", \"b\"]");
    assertThat(render("{{ 'a-b-c'.rsplit('-', 1) | tojson }}")).isEqualTo("[\"a-b\", \"c\"]");
    assertThat(render("{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nhi'.lstrip() }}")).isEqualTo("hi|hi");
    assertThat(render("{{ 'abc'.startswith(['x', 'ab']) }}")).isEqualTo("true");
    assertThat(render("{{ 'a\\nb\\r\\nc\\n'.splitlines() | tojson }}"))
        .isEqualTo("[\"a\", \"b\", \"c\"]");
    assertThat(render("{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'hello world'.title() }}"))
        .isEqualTo("bba|Hello World");
    assertThat(render("{{ '-'.join(['a', 'b']) }}|{{ 'banana'.count('an') }}")).isEqualTo("a-b|2");
  }

  @Test
  void stringFilterFollowsPythonStr() {
    assertThat(render("{{ true | string }}|{{ none | string }}|{{ 1.5e-7 | string }}"))
        .isEqualTo("True|None|1.5e-07");
    assertThat(render("{{ {'a': [1, 'it\\'s', false]} | string }}"))
        .isEqualTo("{'a': [1, \"it's\", False]}");
  }

  @Test
  void tojsonEscapesLikePython() {
    String escaped =
        ChatTemplate.of("{{ messages[0].content | tojson }}", "test")
            .render(List.of(Map.of("content", "é\u0001\"\\")), null, GenerationPrompt.OMIT);
    assertThat(escaped).isEqualTo("\"é\\u0001\\\"\\\\\"");
    assertThat(render("{{ 'é' | tojson(ensure_ascii=true) }}")).isEqualTo("\"\\u00e9\"");
    assertThat(
            render(
                "{{ {'b': 1, 'a': [1.0, 1e16]} | tojson(sort_keys=true, separators=[',', ':']) }}"))
        .isEqualTo("{\"a\":[1.0,1e+16],\"b\":1}");
  }

  @Test
  void templateInputIsNotChanged() {
    List<Object> tags = new ArrayList<>(List.of("a"));
    Map<String, Object> message = Map.of("role", "user", "content", "x", "tags", tags);
    ChatTemplate.of("{% set t = messages[0].tags %}{{ t.append('b') }}", "test")
        .render(List.of(message), null, GenerationPrompt.OMIT);
    assertThat(tags).containsExactly("a");
  }

  private static String render(String source) {
    return ChatTemplate.of(source, "test").render(USER_HELLO, null, GenerationPrompt.OMIT);
  }

  private static List<Map<String, Object>> list(JsonNode node) {
    return JSON.convertValue(node, new TypeReference<List<Map<String, Object>>>() {});
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = ChatTemplateTest.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IOException("Missing test resource " + RESOURCES + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
