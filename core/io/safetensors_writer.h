#pragma once
// Writing safetensors files, atomically, in the layout Python's safetensors writes.

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace vltune::io {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Writes `tensors` (any device, any strides: saved as contiguous CPU data) and `metadata` (the
// "__metadata__" entry, e.g. {"format": "pt"}) to `path`. Like Python's safetensors the data is
// ordered by dtype alignment (largest first), then name, and the header is padded with spaces to
// a multiple of 8 so every tensor stays aligned when mapped. Atomic: a reader sees the old file
// or the new one. Throws FormatError for duplicate or reserved names and unsupported dtypes,
// FileError for I/O failures; the target is untouched on failure.
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace vltune::io
