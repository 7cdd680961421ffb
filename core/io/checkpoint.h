#pragma once
// A model's weights as one name -> tensor table, whether they sit in one safetensors file or in
// shards listed by model.safetensors.index.json.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/io/safetensors.h"

namespace vltune::io {

class Checkpoint {
 public:
  // `path` may be a folder (model.safetensors.index.json, else model.safetensors, else
  // adapter_model.safetensors), an index file, or a single .safetensors file. Every shard is
  // opened and validated up front, and every tensor the index names must be in its shard.
  // Throws FileError / FormatError naming the file and the tensor.
  static Checkpoint open(const std::filesystem::path& path);

  // The file the checkpoint was opened from (the index for sharded checkpoints).
  const std::filesystem::path& source() const { return m_source; }
  // Every tensor name, sorted.
  std::vector<std::string> names() const;
  size_t size() const { return m_index.size(); }
  bool contains(std::string_view name) const;
  // Throws FormatError naming the checkpoint and the tensor when absent.
  const TensorInfo& info(std::string_view name) const;
  // Zero-copy view (see SafetensorsFile::tensor).
  at::Tensor tensor(std::string_view name) const;
  // Which file holds `name`.
  const std::filesystem::path& file_of(std::string_view name) const;
  // The index's "metadata" (e.g. total_size) or the single file's "__metadata__".
  const std::map<std::string, std::string>& metadata() const { return m_metadata; }
  const std::vector<SafetensorsFile>& files() const { return m_files; }

 private:
  // Which of m_files holds a tensor (an index, not a pointer, so copies stay valid).
  size_t locate(std::string_view name) const;

  std::filesystem::path m_source;
  std::vector<SafetensorsFile> m_files;
  std::map<std::string, size_t, std::less<>> m_index;
  std::map<std::string, std::string> m_metadata;
};

}  // namespace vltune::io
