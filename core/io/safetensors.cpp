#include "core/io/safetensors.h"

#include <algorithm>
#include <cstring>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/io/mapped_file.h"

namespace vltune::io {
namespace {

[[noreturn]] void fail_tensor(const std::string& label, const std::string& name,
                              const std::string& what) {
  throw FormatError(label + ": tensor \"" + name + "\": " + what);
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile file;
  file.m_file = MappedFile::open(path);
  file.m_header = parse_safetensors_buffer(file.m_file->data(), file.m_file->size(), path.string(),
                                           &file.m_data_offset);
  return file;
}

const std::filesystem::path& SafetensorsFile::path() const { return m_file->path(); }

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto& ts = m_header.tensors;  // sorted by name
  auto it = std::lower_bound(ts.begin(), ts.end(), name,
                             [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  return it != ts.end() && it->name == name ? &*it : nullptr;
}

bool SafetensorsFile::contains(std::string_view name) const { return find(name) != nullptr; }

const TensorInfo& SafetensorsFile::info(std::string_view name) const {
  const TensorInfo* t = find(name);
  if (!t) fail_tensor(path().string(), std::string(name), "not in this file");
  return *t;
}

std::string_view SafetensorsFile::tensor_bytes(std::string_view name) const {
  const TensorInfo& t = info(name);
  return {reinterpret_cast<const char*>(m_file->data() + m_data_offset + t.begin),
          static_cast<size_t>(t.end - t.begin)};
}

at::Tensor SafetensorsFile::tensor(std::string_view name) const {
  const TensorInfo& t = info(name);
  const auto scalar_type = to_scalar_type(t.dtype);
  if (!scalar_type)
    fail_tensor(path().string(), t.name,
                std::string("dtype ") + dtype_name(t.dtype) + " has no LibTorch type in this build");
  const auto options = at::TensorOptions().dtype(*scalar_type).device(at::kCPU);
  uint8_t* data = m_file->data() + m_data_offset + t.begin;
  if (t.numel() == 0) return at::empty(t.shape, options);
  if (reinterpret_cast<uintptr_t>(data) % dtype_size(t.dtype) != 0) {
    // Writers pad the header to 8 bytes, but nothing forces it: copy misaligned data.
    at::Tensor out = at::empty(t.shape, options);
    std::memcpy(out.data_ptr(), data, t.end - t.begin);
    return out;
  }
  std::shared_ptr<MappedFile> keep_alive = m_file;
  return at::from_blob(
      data, t.shape, [keep_alive](void*) mutable { keep_alive.reset(); }, options);
}

}  // namespace vltune::io
