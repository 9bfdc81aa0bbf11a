package io.bitsweep.cli;

import io.bitsweep.model.LanguageModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
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
    try (LanguageModel lm = LanguageModel.open(model.resolve())) {
      int vocab = lm.config().vocabSize();
      for (int token : tokens) {
        if (token < 0 || token >= vocab) {
          throw new IllegalArgumentException(
              String.format(Locale.ROOT, "Invalid --tokens: id %d is outside the vocabulary [0, %d)", token, vocab));
        }
      }
      float[] logits = lm.logits(tokens);
      ByteBuffer bytes = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(logits);
      Path parent = out.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      // Not Files.createTempFile, which makes the file readable by its owner only.
      Path staging = parent.resolve(".logits-" + UUID.randomUUID() + ".tmp");
      try {
        try (OutputStream stream = Files.newOutputStream(staging, StandardOpenOption.CREATE_NEW)) {
          stream.write(bytes.array());
        }
        Files.move(staging, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(staging);
      }
      System.err.printf(Locale.ROOT, "wrote %d x %d float32 logits to %s%n", tokens.length, vocab, out);
    }
    return 0;
  }
}
