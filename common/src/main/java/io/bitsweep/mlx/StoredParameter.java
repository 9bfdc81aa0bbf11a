package io.bitsweep.mlx;

import io.bitsweep.quant.QuantSetting;
import io.bitsweep.tensor.DType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The storage of one MLX parameter in the safetensors files: quantized as a packed {@code U32}
 * {@code P.weight} with {@code P.scales} and {@code P.biases} in the weight's float dtype, or
 * unquantized in that dtype under its own name.
 *
 * @param parameter the MLX parameter
 * @param setting its setting; {@link QuantSetting#BF16} when unquantized
 * @param dtype the float dtype of the values: of the unquantized tensor, or of scales and biases
 */
record StoredParameter(MlxParameter parameter, QuantSetting setting, DType dtype) {

  /**
   * One tensor as a safetensors header lists it.
   *
   * @param name the tensor name
   * @param dtype the stored element type
   * @param shape the stored shape
   */
  record FileTensor(String name, DType dtype, long[] shape) {
    FileTensor {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    /** Returns the bytes of the tensor's data. */
    long byteLength() {
      return MlxParameter.elementCount(shape) * dtype.byteSize();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof FileTensor that
          && name.equals(that.name)
          && dtype == that.dtype
          && Arrays.equals(shape, that.shape);
    }

    @Override
    public int hashCode() {
      return name.hashCode();
    }

    @Override
    public String toString() {
      return name + " " + dtype + " " + Arrays.toString(shape);
    }
  }

  StoredParameter {
    if (setting.isQuantized()) {
      checkQuantizable(parameter, setting);
    }
    if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
      throw new MlxException(
          "Cannot store "
              + parameter.name()
              + " as "
              + dtype
              + ": the MLX writer stores BF16, F16"
              + " or F32 tensors");
    }
  }

  private static void checkQuantizable(MlxParameter parameter, QuantSetting setting) {
    String problem = null;
    if (parameter.modulePath() == null) {
      problem = "it is not a module weight (its name does not end in .weight)";
    } else if (parameter.rank() < 2) {
      problem = "MLX quantizes tensors of rank 2 or more";
    } else if (parameter.lastDim() % setting.groupSize() != 0) {
      problem = "its last dimension " + parameter.lastDim() + " is not divisible by the group size";
    }
    if (problem != null) {
      throw new MlxException(
          String.format(
              Locale.ROOT,
              "Cannot quantize %s %s with setting %s: %s",
              parameter.name(),
              Arrays.toString(parameter.shape()),
              setting.label(),
              problem));
    }
  }

  boolean quantized() {
    return setting.isQuantized();
  }

  /** Returns the name of the packed weight, or of the unquantized tensor. */
  String weightName() {
    return parameter.name();
  }

  /** Returns {@code P.scales} for module path {@code P}. */
  String scalesName() {
    return parameter.modulePath() + ".scales";
  }

  /** Returns {@code P.biases} for module path {@code P}. */
  String biasesName() {
    return parameter.modulePath() + ".biases";
  }

  /** Returns the uint32 words of one row: {@code lastDim * bits / 32}. */
  long wordsPerRow() {
    return parameter.lastDim() * setting.bits() / 32;
  }

  /** Returns the groups of one row: {@code lastDim / groupSize}. */
  long groupsPerRow() {
    return parameter.lastDim() / setting.groupSize();
  }

  /** Returns the tensors written for this parameter: one when unquantized, three when quantized. */
  List<FileTensor> fileTensors() {
    if (!quantized()) {
      return List.of(new FileTensor(parameter.name(), dtype, parameter.shape()));
    }
    long[] packed = parameter.shape();
    packed[packed.length - 1] = wordsPerRow();
    long[] groups = parameter.shape();
    groups[groups.length - 1] = groupsPerRow();
    return List.of(
        new FileTensor(weightName(), DType.U32, packed),
        new FileTensor(scalesName(), dtype, groups),
        new FileTensor(biasesName(), dtype, groups));
  }

  /** Returns the bytes of all its tensors. */
  long byteLength() {
    long total = 0;
    for (FileTensor tensor : fileTensors()) {
      total += tensor.byteLength();
    }
    return total;
  }

  /**
   * Returns the parameter count mlx-lm's {@code get_total_parameters} gives it: every logical
   * value, also for a quantized weight.
   */
  long parameterCount() {
    return parameter.elementCount();
  }
}
