#include "core/io/safetensors_writer.h"

#include <algorithm>
#include <set>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/dtype.h"

namespace vltune::io {

void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  struct Entry {
    std::string name;
    DType dtype;
    at::Tensor data;  // contiguous, CPU
  };
  std::vector<Entry> entries;
  entries.reserve(tensors.size());
  std::set<std::string> names;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == "__metadata__")
      throw FormatError(path.string() + ": tensor name \"" + name + "\" is reserved or empty");
    if (!names.insert(name).second)
      throw FormatError(path.string() + ": tensor \"" + name + "\" is given twice");
    if (!tensor.defined())
      throw FormatError(path.string() + ": tensor \"" + name + "\" is undefined");
    DType dtype;
    try {
      dtype = from_scalar_type(tensor.scalar_type());
    } catch (const FormatError& e) {
      throw FormatError(path.string() + ": tensor \"" + name + "\": " + e.what());
    }
    entries.push_back({name, dtype, tensor.detach().to(at::kCPU).contiguous()});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    const size_t sa = dtype_size(a.dtype), sb = dtype_size(b.dtype);
    return sa != sb ? sa > sb : a.name < b.name;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& e : entries) {
    const uint64_t bytes = static_cast<uint64_t>(e.data.numel()) * dtype_size(e.dtype);
    header[e.name] = {{"dtype", dtype_name(e.dtype)},
                      {"shape", e.data.sizes().vec()},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');

  uint8_t length[8];
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i, n >>= 8) length[i] = static_cast<uint8_t>(n & 0xff);

  AtomicFile file(path);
  file.write(length, sizeof length);
  file.write(json);
  for (const auto& e : entries)
    file.write(e.data.data_ptr(), static_cast<size_t>(e.data.numel()) * dtype_size(e.dtype));
  file.commit();
}

}  // namespace vltune::io
