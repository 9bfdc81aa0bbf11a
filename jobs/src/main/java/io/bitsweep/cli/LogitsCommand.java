package io.bitsweep.cli;

import io.bitsweep.model.ForwardPass;
import io.bitsweep.model.HiddenStates;
import io.bitsweep.model.LanguageModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "logits",
    mixinStandardHelpOptions = true,
    description = {
      "Write the logits of every position of a token sequence, read from position 0.",
      "Output: little-endian float32, shape [tokens, vocab_size], row-major."
    })
final class LogitsCommand implements Callable<Integer> {
  @Mixin ModelMixin model = new ModelMixin();

  @Option(names = "--tokens", required = true, split = ",", paramLabel = "ID,ID,...", description = "Token ids.")
  int[] tokens;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file.")
  Path out;

  @Override
  public Integer call() throws IOException {
    // Files.move with REPLACE_EXISTING would replace an empty folder with the file.
    if (Files.isDirectory(out)) {
      throw new IllegalArgumentException(
          "Invalid --out " + out + ": it is a folder, expected a file name for the logits");
    }
    Path modelDir = model.resolve();
    try (LanguageModel lm = InferenceModels.open(modelDir)) {
      int vocab = lm.config().vocabSize();
      for (int token : tokens) {
        if (token < 0 || token >= vocab) {
          throw new IllegalArgumentException(
              String.format(Locale.ROOT, "Invalid --tokens: id %d is outside the vocabulary [0, %d)", token, vocab));
        }
      }
      OptionalInt limit = ContextLimit.maxPositions(modelDir);
      if (limit.isPresent() && tokens.length > limit.getAsInt()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "Invalid --tokens: %d ids, but max_position_embeddings in %s is %d; pass at most %d",
                tokens.length,
                modelDir.resolve("config.json"),
                limit.getAsInt(),
                limit.getAsInt()));
      }
      Path parent = out.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      // Not Files.createTempFile, which makes the file readable by its owner only.
      Path staging = parent.resolve(".logits-" + UUID.randomUUID() + ".tmp");
      try {
        try (FileChannel file = FileChannel.open(staging, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          writeLogits(lm, file);
        }
        Files.move(staging, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(staging);
      }
      System.err.printf(Locale.ROOT, "wrote %d x %d float32 logits to %s%n", tokens.length, vocab, out);
    }
    return 0;
  }

  /**
   * Runs the tokens and writes each position's logits as it comes out of the head, so the file may
   * exceed the largest Java array (a 248k vocabulary passes 2 GiB at about 2,200 tokens).
   */
  private void writeLogits(LanguageModel lm, FileChannel file) throws IOException {
    int vocab = lm.config().vocabSize();
    ForwardPass pass = lm.forwardPass();
    HiddenStates h = pass.embed(List.of(tokens), lm.weights());
    pass.layers(h, lm.weights());
    ByteBuffer row = ByteBuffer.allocate(4 * vocab).order(ByteOrder.LITTLE_ENDIAN);
    try {
      pass.head(
          h,
          lm.weights(),
          (sequence, position, logits, offset) -> {
            row.clear();
            row.asFloatBuffer().put(logits, offset, vocab);
            long at = 4L * vocab * position;
            try {
              while (row.hasRemaining()) {
                file.write(row, at + row.position());
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
