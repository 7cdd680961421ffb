#include "core/io/checkpoint.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/io/json_file.h"

namespace vltune::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexName = "model.safetensors.index.json";

// The file to open for a folder, in the order transformers and PEFT write them.
fs::path resolve_folder(const fs::path& dir) {
  for (const char* name : {kIndexName, "model.safetensors", "adapter_model.safetensors"})
    if (fs::is_regular_file(dir / name)) return dir / name;
  throw FileError(dir.string() + ": no model.safetensors.index.json, model.safetensors or "
                                 "adapter_model.safetensors in this folder");
}

bool is_index_file(const fs::path& path) {
  return path.filename().string().size() > 11 &&
         path.filename().string().ends_with(".index.json");
}

}  // namespace

Checkpoint Checkpoint::open(const fs::path& path) {
  if (!fs::exists(path)) throw FileError(path.string() + ": no such file or folder");
  Checkpoint ckpt;
  ckpt.m_source = fs::is_directory(path) ? resolve_folder(path) : path;

  if (!is_index_file(ckpt.m_source)) {
    ckpt.m_files.push_back(SafetensorsFile::open(ckpt.m_source));
    ckpt.m_metadata = ckpt.m_files[0].metadata();
    for (const auto& t : ckpt.m_files[0].tensors()) ckpt.m_index[t.name] = 0;
    return ckpt;
  }

  const std::string label = ckpt.m_source.string();
  const Json index = read_json_file(ckpt.m_source);
  if (!index.is_object()) throw FormatError(label + ": not a JSON object");
  auto map_it = index.find("weight_map");
  if (map_it == index.end() || !map_it->is_object())
    throw FormatError(label + ": \"weight_map\" is missing or not an object");
  if (auto meta = index.find("metadata"); meta != index.end() && meta->is_object())
    for (const auto& [key, value] : meta->items())
      ckpt.m_metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();

  // Open each shard once, in first-mention order.
  std::map<std::string, size_t> shard_slot;
  const fs::path dir = ckpt.m_source.parent_path();
  for (const auto& [name, shard] : map_it->items()) {
    if (!shard.is_string())
      throw FormatError(label + ": weight_map entry for \"" + name + "\" is not a file name");
    const std::string shard_name = shard.get<std::string>();
    if (fs::path(shard_name).has_parent_path() || shard_name == ".." || shard_name.empty())
      throw FormatError(label + ": weight_map entry for \"" + name + "\" names \"" + shard_name +
                        "\", which is not a file beside the index");
    if (shard_slot.count(shard_name)) continue;
    const fs::path shard_path = dir / shard_name;
    if (!fs::exists(shard_path))
      throw FileError(label + ": shard \"" + shard_name + "\" (holding tensor \"" + name +
                      "\") is missing from " + dir.string());
    shard_slot[shard_name] = ckpt.m_files.size();
    ckpt.m_files.push_back(SafetensorsFile::open(shard_path));
  }
  for (const auto& [name, shard] : map_it->items()) {
    const size_t slot = shard_slot.at(shard.get<std::string>());
    const SafetensorsFile& file = ckpt.m_files[slot];
    if (!file.contains(name))
      throw FormatError(label + ": tensor \"" + name + "\" is listed in shard \"" +
                        file.path().filename().string() + "\" but that file does not hold it");
    ckpt.m_index[name] = slot;
  }
  return ckpt;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(m_index.size());
  for (const auto& [name, loc] : m_index) out.push_back(name);
  return out;
}

bool Checkpoint::contains(std::string_view name) const { return m_index.find(name) != m_index.end(); }

size_t Checkpoint::locate(std::string_view name) const {
  auto it = m_index.find(name);
  if (it == m_index.end())
    throw FormatError(m_source.string() + ": tensor \"" + std::string(name) +
                      "\" is not in this checkpoint");
  return it->second;
}

const TensorInfo& Checkpoint::info(std::string_view name) const {
  return m_files[locate(name)].info(name);
}

at::Tensor Checkpoint::tensor(std::string_view name) const {
  return m_files[locate(name)].tensor(name);
}

const fs::path& Checkpoint::file_of(std::string_view name) const {
  return m_files[locate(name)].path();
}

}  // namespace vltune::io
