package io.bitsweep.tensor;

import java.util.Locale;

/** Element types that appear in safetensors headers, with their names as written there. */
public enum DType {
  BF16(2, true),
  F16(2, true),
  F32(4, true),
  F64(8, true),
  U8(1, false),
  I8(1, false),
  U16(2, false),
  I16(2, false),
  U32(4, false),
  I32(4, false),
  U64(8, false),
  I64(8, false),
  BOOL(1, false);

  private final int byteSize;
  private final boolean floating;

  DType(int byteSize, boolean floating) {
    this.byteSize = byteSize;
    this.floating = floating;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** Whether the type holds floating-point values that the engine can read as fp32. */
  public boolean isFloating() {
    return floating;
  }

  /** The spelling used in safetensors headers, such as {@code "BF16"}. */
  public String headerName() {
    return name();
  }

  /**
   * Parses a safetensors dtype name.
   *
   * @throws IllegalArgumentException naming the value and the accepted names
   */
  public static DType fromHeader(String name) {
    for (DType type : values()) {
      if (type.name().equals(name)) {
        return type;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "unknown dtype \"%s\": expected one of %s",
            name,
            java.util.Arrays.toString(values())));
  }
}
