#pragma once
// safetensors files: memory-mapped, header validated, tensors exposed without copying.
//

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/io/safetensors_header.h"

namespace vltune::io {

class MappedFile;

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
  // The header entry for `name`, or nullptr.
  const TensorInfo* find(std::string_view name) const;

  std::shared_ptr<MappedFile> m_file;
  uint64_t m_data_offset = 0;  // 8 + header length
  SafetensorsHeader m_header;
};

}  // namespace vltune::io
