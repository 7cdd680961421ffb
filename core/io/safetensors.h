#pragma once
// safetensors files: memory-mapped, header validated, tensors exposed without copying.
//
// Format (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N, N bytes
// of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then
// the data; offsets are relative to the start of the data.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/io/dtype.h"

namespace vltune::io {

class MappedFile;

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

class SafetensorsFile {
 public:
  // Maps and validates `path`. Throws FileError / FormatError naming the file (and tensor).
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const;
  const std::vector<TensorInfo>& tensors() const { return m_header.tensors; }
  const std::map<std::string, std::string>& metadata() const { return m_header.metadata; }
  bool contains(std::string_view name) const;
  // Throws FormatError naming the file and the tensor when absent.
  const TensorInfo& info(std::string_view name) const;

  // A CPU tensor viewing the mapped bytes (no copy when the data is aligned for its type; it
  // keeps the mapping alive). Writes to it stay private to this process, the file never changes.
  at::Tensor tensor(std::string_view name) const;
  // The raw bytes of a tensor (for dtypes this LibTorch has no type for, and for hashing).
  std::string_view tensor_bytes(std::string_view name) const;

 private:
  std::shared_ptr<MappedFile> m_file;
  uint64_t m_data_offset = 0;  // 8 + header length
  SafetensorsHeader m_header;
};

}  // namespace vltune::io
