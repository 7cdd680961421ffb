#include "core/io/safetensors_header.h"

#include <algorithm>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace vltune::io {
namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  throw FormatError(label + ": " + what);
}

[[noreturn]] void fail_tensor(const std::string& label, const std::string& name,
                              const std::string& what) {
  throw FormatError(label + ": tensor \"" + name + "\": " + what);
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The header as parsed JSON, rejecting duplicate top-level names (nlohmann would keep the last).
Json parse_header_json(std::string_view json, const std::string& label) {
  std::set<std::string> seen;
  std::string duplicate;
  Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::key && duplicate.empty()) {
      auto key = parsed.get<std::string>();
      if (!seen.insert(key).second) duplicate = key;
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(json.begin(), json.end(), callback);
  } catch (const Json::exception& e) {
    fail(label, std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!duplicate.empty()) fail_tensor(label, duplicate, "appears twice in the header");
  if (!header.is_object()) fail(label, "header is not a JSON object");
  return header;
}

uint64_t read_offset(const Json& v, const std::string& label, const std::string& name) {
  if (!v.is_number_unsigned()) fail_tensor(label, name, "data_offsets must be non-negative integers");
  return v.get<uint64_t>();
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsHeader parse_safetensors_header(std::string_view json, uint64_t data_size,
                                           const std::string& label) {
  const Json header = parse_header_json(json, label);
  SafetensorsHeader out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(label, "__metadata__ is not an object of strings");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          fail(label, "__metadata__ entry \"" + key + "\" is not a string");
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (name.empty()) fail(label, "a tensor has an empty name");
    if (!entry.is_object()) fail_tensor(label, name, "entry is not an object");
    TensorInfo info;
    info.name = name;

    auto dtype_it = entry.find("dtype");
    if (dtype_it == entry.end() || !dtype_it->is_string())
      fail_tensor(label, name, "missing or non-string \"dtype\"");
    const auto dtype = dtype_from_name(dtype_it->get<std::string>());
    if (!dtype) fail_tensor(label, name, "unknown dtype \"" + dtype_it->get<std::string>() + "\"");
    info.dtype = *dtype;

    auto shape_it = entry.find("shape");
    if (shape_it == entry.end() || !shape_it->is_array())
      fail_tensor(label, name, "missing or non-array \"shape\"");
    // numel x element size, checked for overflow at every step.
    uint64_t bytes = dtype_size(info.dtype);
    for (const auto& d : *shape_it) {
      if (!d.is_number_unsigned()) fail_tensor(label, name, "shape has a non-integer or negative dimension");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail_tensor(label, name, "shape dimension is too large");
      if (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim)
        fail_tensor(label, name, "shape is too large (byte size overflows)");
      bytes *= dim;
      info.shape.push_back(static_cast<int64_t>(dim));
    }

    auto offsets_it = entry.find("data_offsets");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2)
      fail_tensor(label, name, "\"data_offsets\" must be a [begin, end] pair");
    info.begin = read_offset((*offsets_it)[0], label, name);
    info.end = read_offset((*offsets_it)[1], label, name);
    if (info.begin > info.end) fail_tensor(label, name, "data_offsets begin is after end");
    if (info.end - info.begin != bytes)
      fail_tensor(label, name,
                  "data_offsets span " + std::to_string(info.end - info.begin) +
                      " bytes but dtype and shape need " + std::to_string(bytes));
    if (info.end > data_size)
      fail_tensor(label, name,
                  "data_offsets end " + std::to_string(info.end) +
                      " is outside the data section (" + std::to_string(data_size) +
                      " bytes; is the file truncated?)");
    out.tensors.push_back(std::move(info));
  }

  // Spans must not overlap (zero-sized tensors occupy nothing).
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : out.tensors)
    if (t.end > t.begin) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      fail_tensor(label, by_offset[i]->name,
                  "data overlaps tensor \"" + by_offset[i - 1]->name + "\"");

  std::sort(out.tensors.begin(), out.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  return out;
}

SafetensorsHeader parse_safetensors_buffer(const uint8_t* bytes, uint64_t size,
                                           const std::string& label, uint64_t* data_offset) {
  if (size < 8)
    fail(label, "too short to be a safetensors file (" + std::to_string(size) + " bytes)");
  const uint64_t header_len = read_u64_le(bytes);
  if (header_len > kMaxSafetensorsHeader)
    fail(label, "header length " + std::to_string(header_len) +
                    " is larger than the format allows (not a safetensors file?)");
  if (header_len > size - 8)
    fail(label, "header length " + std::to_string(header_len) + " runs past the end of the " +
                    std::to_string(size) + "-byte file (truncated?)");
  *data_offset = 8 + header_len;
  const std::string_view json(reinterpret_cast<const char*>(bytes) + 8, header_len);
  return parse_safetensors_header(json, size - *data_offset, label);
}

}  // namespace vltune::io
