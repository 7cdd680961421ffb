#pragma once
// Reading the stages of a tokenizer.json ("normalizer", "pre_tokenizer", "decoder",
// "post_processor"): each is {"type": ..., ...}, and "Sequence" stages nest a list of others.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace vltune::text {

// The "type" of a stage; FormatError naming `where` and the stage when it is missing.
inline std::string stage_type(const nlohmann::json& spec, const std::string& where, const char* stage) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string())
    throw FormatError(where + ": " + stage + " must be an object with a \"type\"");
  return spec["type"].get<std::string>();
}

// Builds every element of the array spec[key] with make(element, label); null stages are dropped.
template <typename T, typename Make>
std::vector<std::unique_ptr<T>> make_sequence(const nlohmann::json& spec, const char* key, const std::string& where,
                                              Make&& make) {
  if (!spec.contains(key) || !spec[key].is_array())
    throw FormatError(where + ": Sequence needs a \"" + key + "\" array");
  std::vector<std::unique_ptr<T>> parts;
  for (size_t i = 0; i < spec[key].size(); ++i) {
    auto part = make(spec[key][i], where + ": " + key + "[" + std::to_string(i) + "]");
    if (part) parts.push_back(std::move(part));
  }
  return parts;
}

}  // namespace vltune::text
