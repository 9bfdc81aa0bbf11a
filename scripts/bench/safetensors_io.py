"""Read and write safetensors files with numpy only.

Format: an 8-byte little-endian header length N, then N bytes of JSON mapping each tensor
name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the end of the
header), then the raw little-endian tensor data. An optional "__metadata__" entry contains
string key/value pairs.
"""

import json
import os
import struct

import numpy as np

# Byte width of each supported dtype.
ITEM_SIZES = {"BF16": 2, "F16": 2, "F32": 4, "F64": 8}

# Reject headers above this size. Real checkpoints stay far below it, so a larger value
# means that the file is not safetensors or is damaged.
MAX_HEADER_BYTES = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    """A safetensors file or index that cannot be read as the format requires."""


def bf16_bits_to_float32(bits):
    """Convert uint16 bf16 bit patterns to float32 exactly (bf16 is the top half of fp32)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def float32_to_bf16_bits(values):
    """Round float32 values to bf16 with round-to-nearest-even; return uint16 bit patterns.

    NaN inputs are not handled specially, so the caller must pass finite values.
    """
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounding_bias = ((bits >> 16) & 1) + np.uint32(0x7FFF)
    return ((bits + rounding_bias) >> 16).astype(np.uint16)


class SafetensorsFile:
    """A memory-mapped safetensors file whose tensors are read on request as float32 or float64."""

    def __init__(self, path):
        self.path = path
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            prefix = f.read(8)
            if len(prefix) != 8:
                raise SafetensorsError(
                    f"{path}: file has {size} bytes, expected at least 8 (header length)"
                )
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > MAX_HEADER_BYTES or 8 + header_len > size:
                raise SafetensorsError(
                    f"{path}: header length {header_len} does not fit in a file of {size} bytes;"
                    " the file is not safetensors or is truncated"
                )
            header = json.loads(f.read(header_len).decode("utf-8"))
        self.metadata = header.pop("__metadata__", {})
        self.data_start = 8 + header_len
        self.entries = header
        self._map = np.memmap(path, dtype=np.uint8, mode="r")
        for name, entry in self.entries.items():
            self._validate(name, entry, size)

    def _validate(self, name, entry, file_size):
        dtype = entry.get("dtype")
        if dtype not in ITEM_SIZES:
            raise SafetensorsError(
                f"{self.path}: tensor {name} has dtype {dtype!r}, expected one of"
                f" {sorted(ITEM_SIZES)}"
            )
        begin, end = entry["data_offsets"]
        count = int(np.prod(entry["shape"], dtype=np.int64))
        expected = count * ITEM_SIZES[dtype]
        if end - begin != expected:
            raise SafetensorsError(
                f"{self.path}: tensor {name} spans {end - begin} bytes, expected {expected}"
                f" for shape {entry['shape']} and dtype {dtype}"
            )
        if begin < 0 or self.data_start + end > file_size:
            raise SafetensorsError(
                f"{self.path}: tensor {name} data [{begin}, {end}) lies outside the file"
                f" ({file_size - self.data_start} data bytes); the file is truncated"
            )

    def names(self):
        return list(self.entries)

    def shape(self, name):
        return tuple(self.entries[name]["shape"])

    def read(self, name, dtype=np.float32):
        """Return tensor `name` as a new array of `dtype` (float32 or float64).

        BF16, F16 and F32 convert exactly. F64 is rounded when `dtype` is float32.
        """
        entry = self.entries[name]
        begin, end = entry["data_offsets"]
        raw = self._map[self.data_start + begin : self.data_start + end]
        kind = entry["dtype"]
        if kind == "BF16":
            values = bf16_bits_to_float32(raw.view("<u2"))
        elif kind == "F16":
            values = raw.view("<f2").astype(np.float32)
        elif kind == "F32":
            values = raw.view("<f4")
        else:
            values = raw.view("<f8")
        return values.astype(dtype).reshape(entry["shape"])


class Checkpoint:
    """The tensors of a checkpoint folder: model.safetensors, or shards listed in
    model.safetensors.index.json."""

    def __init__(self, folder):
        self.folder = folder
        index_path = os.path.join(folder, "model.safetensors.index.json")
        single_path = os.path.join(folder, "model.safetensors")
        self.files = {}
        self.location = {}
        if os.path.exists(index_path):
            with open(index_path) as f:
                weight_map = json.load(f)["weight_map"]
            for name, shard in weight_map.items():
                if shard not in self.files:
                    self.files[shard] = SafetensorsFile(os.path.join(folder, shard))
                if name not in self.files[shard].entries:
                    raise SafetensorsError(
                        f"{index_path}: lists tensor {name} in {shard}, but it is not found in that"
                        " shard; the index does not match the shard files"
                    )
                self.location[name] = self.files[shard]
        elif os.path.exists(single_path):
            single = SafetensorsFile(single_path)
            self.files["model.safetensors"] = single
            self.location = {name: single for name in single.names()}
        else:
            raise SafetensorsError(
                f"{folder}: found neither model.safetensors nor model.safetensors.index.json;"
                " pass the folder that contains the checkpoint"
            )

    def __contains__(self, name):
        return name in self.location

    def names(self):
        return list(self.location)

    def shape(self, name):
        return self.location[name].shape(name)

    def read(self, name, dtype=np.float32):
        if name not in self.location:
            raise SafetensorsError(f"{self.folder}: tensor {name} not found in the checkpoint")
        return self.location[name].read(name, dtype)


def write_safetensors(path, tensors, metadata=None):
    """Write `tensors`, a dict {name: (dtype, array)}, to the safetensors file `path`.

    `dtype` is a safetensors dtype name such as "BF16", and `array` already has that dtype's
    little-endian bit layout (for BF16, a uint16 array of bf16 bit patterns).
    """
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    for name, (dtype, array) in tensors.items():
        nbytes = array.size * ITEM_SIZES[dtype]
        if array.nbytes != nbytes:
            raise SafetensorsError(
                f"{path}: tensor {name} has {array.nbytes} bytes, expected {nbytes} for {dtype}"
            )
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # align the data section to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for dtype, array in tensors.values():
            f.write(np.ascontiguousarray(array).tobytes())
