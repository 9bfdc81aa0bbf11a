package io.bitsweep.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleFilesTest {
  private static final String CHAT =
      "{\"id\": \"weather-1\", \"category\": \"tool_call\", \"tools\": [{\"type\": \"function\","
          + " \"function\": {\"name\": \"get_weather\"}}], \"messages\": [{\"role\": \"user\","
          + " \"content\": \"Weather in Oslo?\"},{\"role\": \"assistant\", \"content\": null,"
          + " \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\", \"function\": {\"name\":"
          + " \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}},{\"type\":"
          + " \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\":"
          + " \"Bergen\", \"days\": 2}}}]},{\"role\": \"tool\", \"tool_call_id\": \"c1\","
          + " \"content\": \"4 C\"},{\"role\": \"assistant\", \"content\": \"It is 4 C.\","
          + " \"reasoning_content\": \"r\"}]}";

  private static final String TEXT =
      "{\"id\": \"story-1\", \"category\": \"dialogue\", \"text\": \"Hi.\"}";

  @TempDir Path tmp;

  @Test
  void readsChatAndTextSamples() throws IOException {
    Path file = write("mix.jsonl", CHAT + "\n\n" + TEXT + "\n");
    List<CalibrationSample> samples = SampleFiles.read(List.of(file));
    assertThat(samples).hasSize(2);

    ChatSample chat = (ChatSample) samples.get(0);
    assertThat(chat.id()).isEqualTo("weather-1");
    assertThat(chat.category()).isEqualTo("tool_call");
    assertThat(chat.source()).isEqualTo(file + ":1");
    assertThat(chat.messages())
        .extracting(Message::role)
        .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
    assertThat(chat.messages().get(1).toolCalls()).hasSize(2);
    assertThat(chat.messages().get(2).toolCallId()).isEqualTo("c1");
    assertThat(chat.tools()).hasSize(1);

    TextSample text = (TextSample) samples.get(1);
    assertThat(text.text()).isEqualTo("Hi.");
    assertThat(text.source()).isEqualTo(file + ":3");
  }

  @Test
  void templateDataParsesTextArguments() throws IOException {
    ChatSample chat = (ChatSample) SampleFiles.readJsonl(write("a.jsonl", CHAT)).get(0);
    Map<String, Object> assistant = chat.templateMessages().get(1);
    assertThat(assistant).containsEntry("content", null);
    List<?> calls = (List<?>) assistant.get("tool_calls");
    Map<?, ?> first = (Map<?, ?>) ((Map<?, ?>) calls.get(0)).get("function");
    Map<?, ?> second = (Map<?, ?>) ((Map<?, ?>) calls.get(1)).get("function");
    assertThat(first.get("arguments")).isEqualTo(Map.of("city", "Oslo"));
    assertThat(chat.messages().get(1).toolCalls().get(0).argumentsAsText()).isTrue();
    assertThat(chat.messages().get(1).toolCalls().get(1).argumentsAsText()).isFalse();
    assertThat(second.get("arguments")).isEqualTo(Map.of("city", "Bergen", "days", 2));
    assertThat(((Map<?, ?>) calls.get(0)).get("id")).isEqualTo("c1");
    assertThat(chat.templateMessages().get(3)).containsEntry("reasoning_content", "r");
    assertThat(chat.templateTools().get(0)).containsEntry("type", "function");
  }

  @Test
  void invalidJsonNamesFileAndLine() throws IOException {
    Path file = write("bad.jsonl", TEXT + "\n\n{\"id\": \"x\", \"category\": \n");
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .isInstanceOf(CalibrationException.class)
        .hasMessageStartingWith("Cannot read " + file + ":3: invalid JSON (")
        .hasMessageContaining("each line must be one complete JSON object");
  }

  @Test
  void unclosedArrayGivesLineAndColumn() throws IOException {
    Path file = write("open.jsonl", "{\"id\": \"x\", \"messages\": [\n");
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .isInstanceOf(CalibrationException.class)
        .hasMessage(
            "Cannot read "
                + file
                + ":1: invalid JSON (Unexpected end-of-input: expected close marker for Array"
                + " (start marker at [line: 1, column: 25])); each line must be one complete JSON"
                + " object");
  }

  @Test
  void unknownRoleNamesSampleAndAllowedRoles() throws IOException {
    Path file =
        write(
            "r.jsonl",
            "{\"id\": \"s7\", \"category\": \"dialogue\", \"messages\": [{\"role\": \"user\","
                + " \"content\": \"a\"}, {\"role\": \"robot\", \"content\": \"b\"}]}");
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .isInstanceOf(CalibrationException.class)
        .hasMessage(
            "Cannot read sample s7 ("
                + file
                + ":1): messages[1].role is \"robot\"; allowed roles"
                + " are system, user, assistant, tool");
  }

  @Test
  void invalidArgumentsJsonNamesCall() throws IOException {
    Path file =
        write(
            "t.jsonl",
            "{\"id\": \"t1\", \"category\": \"tool_call\", \"messages\": [{\"role\": \"user\","
                + " \"content\": \"a\"}, {\"role\": \"assistant\", \"tool_calls\": [{\"type\":"
                + " \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{\\\"city\\\":"
                + " \"}}]}]}");
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .isInstanceOf(CalibrationException.class)
        .hasMessageStartingWith(
            "Cannot read sample t1 ("
                + file
                + ":1): messages[1].tool_calls[0].function.arguments"
                + " is not valid JSON (")
        .hasMessageEndingWith("): {\"city\": ");
  }

  @Test
  void argumentsMustBeAnObject() throws IOException {
    Path file =
        write(
            "t.jsonl",
            "{\"id\": \"t2\", \"category\": \"tool_call\", \"messages\": ["
                + "{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\","
                + " \"arguments\": \"[1, 2]\"}}]}]}");
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .isInstanceOf(CalibrationException.class)
        .hasMessageContaining(
            "messages[0].tool_calls[0].function.arguments must be a JSON object,"
                + " found a JSON ARRAY");
  }

  @Test
  void emptyFileIsRejected() throws IOException {
    for (String content : List.of("", "\n  \n")) {
      Path file = write("empty.jsonl", content);
      assertThatThrownBy(() -> SampleFiles.readJsonl(file))
          .isInstanceOf(CalibrationException.class)
          .hasMessage(
              "Cannot read "
                  + file
                  + ": it has no samples (the file is empty or has only blank"
                  + " lines); remove it from the inputs or add one JSON object per line");
    }
  }

  @Test
  void missingIdIsRejected() throws IOException {
    Path file = write("noid.jsonl", TEXT + "\n{\"category\": \"dialogue\", \"text\": \"x\"}");
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .isInstanceOf(CalibrationException.class)
        .hasMessage(
            "Cannot read "
                + file
                + ":2: the field \"id\" is missing; give every sample a unique"
                + " string id, because results are joined on it");
  }

  @Test
  void sampleShapeErrors() throws IOException {
    assertRejected(
        "{\"id\": \"a\", \"category\": \"x\", \"text\": \"t\", \"messages\": []}",
        "give either \"messages\" (a conversation) or \"text\" (plain text), not both");
    assertRejected("{\"id\": \"a\", \"category\": \"x\"}", "found neither");
    assertRejected(
        "{\"id\": \"a\", \"category\": \"x\", \"text\": \"t\", \"tool\": []}",
        "unknown field \"tool\"; allowed fields are category, id, messages, text, tools");
    assertRejected(
        "{\"id\": \"a\", \"category\": \"Dialogue\", \"text\": \"t\"}",
        "category \"Dialogue\" is not a lowercase word");
    assertRejected(
        "{\"id\": \"a\", \"category\": \"x\", \"messages\": []}",
        "\"messages\" must be a non-empty list");
    assertRejected(
        "{\"id\": \"a\", \"category\": \"x\", \"messages\": [{\"role\": \"user\"}]}",
        "messages[0] (user) has no \"content\"");
    assertRejected(
        "{\"id\": \"a\", \"category\": \"x\", \"messages\": [{\"role\": \"user\","
            + " \"content\": \"c\", \"tool_calls\": []}]}",
        "only assistant messages may call tools");
    assertRejected(
        "{\"id\": \"a\", \"category\": \"x\", \"tools\": {}, \"messages\":"
            + " [{\"role\": \"user\", \"content\": \"c\"}]}",
        "\"tools\" must be a list");
    assertRejected("[1, 2]", "expected a JSON object, found a JSON ARRAY");
  }

  @Test
  void contentPartsAreUnsupported() throws IOException {
    Path file =
        write(
            "parts.jsonl",
            "{\"id\": \"p\", \"category\": \"x\", \"messages\": [{\"role\":"
                + " \"user\", \"content\": [{\"type\": \"text\", \"text\": \"hi\"}]}]}");
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("messages[0].content is a list of content parts");
  }

  @Test
  void duplicateIdsAcrossFilesAreRejected() throws IOException {
    Path first = write("one.jsonl", TEXT);
    Path second = write("two.jsonl", TEXT);
    assertThatThrownBy(() -> SampleFiles.read(List.of(first, second)))
        .isInstanceOf(CalibrationException.class)
        .hasMessage(
            "Cannot use sample id story-1 twice: it appears at "
                + first
                + ":1 and at "
                + second
                + ":1; sample ids must be unique across all inputs");
  }

  @Test
  void folderYieldsCodeAndJsonlSamples() throws IOException {
    Path folder = Files.createDirectories(tmp.resolve("repo"));
    Files.createDirectories(folder.resolve("src/util"));
    Files.writeString(folder.resolve("src/util/strings.py"), "def f():\n    return 1\n");
    Files.writeString(folder.resolve("Main.java"), "class Main {}\n");
    Files.writeString(folder.resolve("empty.py"), "\n");
    Files.write(folder.resolve("image.png"), new byte[] {1, 2, 3});
    Files.writeString(folder.resolve("README.md"), "# About these samples\n");
    Files.writeString(folder.resolve("extra.jsonl"), TEXT);
    List<CalibrationSample> samples = SampleFiles.read(List.of(folder));
    assertThat(samples)
        .extracting(CalibrationSample::id)
        .containsExactly("repo/Main.java", "story-1", "repo/src/util/strings.py");
    assertThat(samples.get(0).category()).isEqualTo("code");
    assertThat(((TextSample) samples.get(2)).text()).isEqualTo("def f():\n    return 1\n");
  }

  @Test
  void codeFileIdIsFileName() throws IOException {
    Path file = write("lib.rs", "fn main() {}\n");
    List<CalibrationSample> samples = SampleFiles.read(List.of(file));
    assertThat(samples).singleElement().extracting(CalibrationSample::id).isEqualTo("lib.rs");
  }

  @Test
  void inputErrorsNameThePath() throws IOException {
    Path missing = tmp.resolve("nothing.jsonl");
    assertThatThrownBy(() -> SampleFiles.read(List.of(missing)))
        .hasMessage("Cannot read calibration input " + missing + ": no such file or folder");
    Path binary = tmp.resolve("blob.c");
    Files.write(binary, new byte[] {'a', 0, 'b'});
    assertThatThrownBy(() -> SampleFiles.read(List.of(binary)))
        .hasMessageContaining("contains NUL characters");
    Path latin1 = tmp.resolve("old.c");
    Files.write(latin1, new byte[] {'a', (byte) 0xe9});
    assertThatThrownBy(() -> SampleFiles.read(List.of(latin1)))
        .hasMessageContaining("is not valid UTF-8 text");
    Path folder = Files.createDirectories(tmp.resolve("docs"));
    Files.writeString(folder.resolve("notes.txt"), "x");
    assertThatThrownBy(() -> SampleFiles.read(List.of(folder)))
        .hasMessageStartingWith(
            "Cannot read calibration folder "
                + folder
                + ": it has no .jsonl"
                + " file and no source file")
        .hasMessageEndingWith("(1 other files)");
  }

  private void assertRejected(String line, String expected) throws IOException {
    Path file = write("case.jsonl", line);
    assertThatThrownBy(() -> SampleFiles.readJsonl(file))
        .as(line)
        .isInstanceOf(CalibrationException.class)
        .hasMessageContaining(expected);
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(tmp.resolve(name), content);
  }
}
