package io.bitsweep.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.bitsweep.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bitsweep generate} rejects a length beyond the model's context before decoding, and a
 * sweep rejects an MLX folder with a message that names it as quantized.
 */
class GenerateInputTest {
  @TempDir Path tmp;

  @Test
  void maxTokensBeyondContextRejected() {
    Cli.Result result =
        Cli.run(
            "generate",
            "--model", TinyModelCopy.source().toString(),
            "--prompt", "Once upon a time",
            "--max-tokens", "600");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stdout()).as("stdout").isEmpty();
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep generate: Invalid --max-tokens 600: the prompt has 6 tokens and"
                + " max_position_embeddings in "
                + TinyModelCopy.source().resolve("config.json")
                + " is 512, so pass at most 506\n");
  }

  @Test
  void sweepOfQuantizedFolderNamesIt() throws IOException {
    Path config = Files.writeString(tmp.resolve("4bit.json"), "{\"default\": 4}");
    Path mlx = tmp.resolve("mlx");
    Cli.Result written =
        Cli.run(
            "write-mlx",
            "--model", TinyModelCopy.source().toString(),
            "--config", config.toString(),
            "--out", mlx.toString());
    assertThat(written.status()).as("exit status of write-mlx").isZero();

    Cli.Result result =
        Cli.run(
            "run",
            "--model", mlx.toString(),
            "--out", tmp.resolve("run").toString(),
            "--spec", SharedModels.repositoryRoot().resolve("conf/sweeps/smoke.yaml").toString(),
            "--master", "local[1]");

    assertThat(result.status()).as("exit status").isEqualTo(1);
    assertThat(result.stderr())
        .isEqualTo(
            "bitsweep run: Cannot load checkpoint "
                + mlx
                + ": its config.json has a quantization entry, so it is an already quantized model"
                + " (such as the output of write-mlx); sweeps and write-mlx start from the"
                + " unquantized Hugging Face checkpoint, so pass that\n");
  }
}
