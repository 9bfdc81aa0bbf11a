package io.bitsweep.mlx;

import io.bitsweep.quant.QuantSetting;
import io.bitsweep.safetensors.TensorInfo;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Formats an {@link MlxModel} as an aligned table of tensors followed by totals. */
final class MlxInspection {
  private MlxInspection() {}

  static String format(MlxModel model) {
    Map<String, TensorInfo> tensors = model.tensors();
    int nameWidth = "tensor".length();
    int shapeWidth = "shape".length();
    for (TensorInfo info : tensors.values()) {
      nameWidth = Math.max(nameWidth, info.name().length());
      shapeWidth = Math.max(shapeWidth, info.shapeString().length());
    }
    String row = "%-" + nameWidth + "s  %-5s  %-" + shapeWidth + "s  %4s  %5s  %12s%n";
    StringBuilder out = new StringBuilder();
    // A Hugging Face folder also opens here, since its tensors are plain safetensors.
    String kind =
        model.configJson().has("quantization")
            ? "MLX model"
            : "Model without a quantization entry in config.json";
    out.append(String.format(Locale.ROOT, "%s %s%n%n", kind, model.directory()));
    out.append(
        String.format(Locale.ROOT, row, "tensor", "dtype", "shape", "bits", "group", "bytes"));
    for (TensorInfo info : tensors.values()) {
      String path = MlxModel.moduleOf(info.name());
      QuantSetting setting = path == null ? null : model.setting(path);
      out.append(
          String.format(
              Locale.ROOT,
              row,
              info.name(),
              info.dtype(),
              info.shapeString(),
              setting == null ? "-" : Integer.toString(setting.bits()),
              setting == null ? "-" : Integer.toString(setting.groupSize()),
              info.byteLength()));
    }
    appendTotals(model, out);
    return out.toString();
  }

  private static void appendTotals(MlxModel model, StringBuilder out) {
    long quantizedBytes = 0;
    long quantizedParameters = 0;
    for (TensorInfo info : model.tensors().values()) {
      String path = MlxModel.moduleOf(info.name());
      if (path != null && model.setting(path) != null) {
        quantizedBytes += info.byteLength();
        quantizedParameters += model.parameters(info);
      }
    }
    Map<String, Integer> bySetting = new TreeMap<>();
    model.quantizedModules().values().forEach(s -> bySetting.merge(s.label(), 1, Integer::sum));
    long bytes = model.tensorBytes();
    long parameters = model.parameterCount();
    out.append(
        String.format(
            Locale.ROOT,
            "%ntotal:        %d tensors, %d bytes, %d parameters," + " %.4f bits per weight%n",
            model.tensors().size(),
            bytes,
            parameters,
            model.bitsPerWeight()));
    out.append(
        String.format(
            Locale.ROOT,
            "quantized:    %d modules, %d bytes, %d parameters, %.4f" + " bits per weight%n",
            model.quantizedModules().size(),
            quantizedBytes,
            quantizedParameters,
            bitsPerWeight(quantizedBytes, quantizedParameters)));
    out.append(
        String.format(
            Locale.ROOT,
            "unquantized:  %d bytes, %d parameters%n",
            bytes - quantizedBytes,
            parameters - quantizedParameters));
    StringBuilder settings = new StringBuilder();
    bySetting.forEach(
        (label, count) ->
            settings
                .append(settings.length() == 0 ? "" : ", ")
                .append(label)
                .append(" x ")
                .append(count));
    out.append(
        String.format(
            Locale.ROOT,
            "settings:     %s%n",
            settings.length() == 0 ? "none (unquantized model)" : settings));
  }

  private static double bitsPerWeight(long bytes, long parameters) {
    return parameters == 0 ? 0 : 8.0 * bytes / parameters;
  }
}
