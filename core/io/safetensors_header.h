#pragma once
// The safetensors header: parsing and validation only, no LibTorch (so it can be fuzzed alone).
//
// Format (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N, N bytes
// of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then
// the data; offsets are relative to the start of the data.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/dtype.h"

namespace vltune::io {

struct TensorInfo {
  std::string name;            // key in the header
  DType dtype = DType::F32;    // element type
  std::vector<int64_t> shape;  // dimensions; empty for a scalar
  uint64_t begin = 0;          // first byte, relative to the data section
  uint64_t end = 0;            // one past the last byte, relative to the data section

  int64_t numel() const;
};

struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;               // sorted by name
  std::map<std::string, std::string> metadata;  // the "__metadata__" entries
};

// Largest header we accept (the format's own limit is 100 MB).
inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

// Parses and validates a header's JSON against a data section of `data_size` bytes. Checks: valid
// JSON object, no duplicate names, known dtypes, non-negative shapes, data_offsets a pair with
// begin <= end, numel x element size == end - begin (without overflow), spans inside the data and
// not overlapping one another, metadata string -> string. Throws FormatError naming `label` (the
// file) and the tensor. Exposed separately so it can be fuzzed without files.
SafetensorsHeader parse_safetensors_header(std::string_view json, uint64_t data_size,
                                           const std::string& label);

// A whole file's bytes: checks the 8-byte length prefix against `size`, then parses the header.
// Sets *data_offset to where the data section starts. Throws FormatError naming `label`.
SafetensorsHeader parse_safetensors_buffer(const uint8_t* bytes, uint64_t size,
                                           const std::string& label, uint64_t* data_offset);

}  // namespace vltune::io
