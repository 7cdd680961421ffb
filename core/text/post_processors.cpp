#include "core/text/post_processors.h"

#include <map>

#include "core/error.h"
#include "core/text/pipeline_spec.h"

namespace vltune::text {

namespace {

using Json = nlohmann::json;

// The single-sequence template: special-token ids and the sequence, in order.
class TemplatePostProcessor final : public PostProcessor {
 public:
  // Each item: the ids of a special token, or empty for the sequence ($A).
  explicit TemplatePostProcessor(std::vector<std::optional<std::vector<int32_t>>> items) : m_items(std::move(items)) {}
  std::vector<int32_t> process(std::vector<int32_t> ids) const override {
    std::vector<int32_t> out;
    out.reserve(ids.size() + m_items.size());
    for (const auto& item : m_items) {
      if (item) out.insert(out.end(), item->begin(), item->end());
      else out.insert(out.end(), ids.begin(), ids.end());
    }
    return out;
  }

 private:
  std::vector<std::optional<std::vector<int32_t>>> m_items;
};

class IdentityPostProcessor final : public PostProcessor {
 public:
  std::vector<int32_t> process(std::vector<int32_t> ids) const override { return ids; }
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : m_parts(std::move(parts)) {}
  std::vector<int32_t> process(std::vector<int32_t> ids) const override {
    for (const auto& part : m_parts) ids = part->process(std::move(ids));
    return ids;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> m_parts;
};

// ["<s>", 1] as Roberta/Bert processors write their cls and sep.
int32_t token_pair_id(const Json& spec, const char* key, const std::string& where) {
  if (!spec.contains(key) || !spec[key].is_array() || spec[key].size() != 2 || !spec[key][1].is_number_integer())
    throw FormatError(where + ": \"" + key + "\" must be [token, id]");
  return spec[key][1].get<int32_t>();
}

std::unique_ptr<PostProcessor> make_template(const Json& spec, const std::string& where) {
  if (!spec.contains("single") || !spec["single"].is_array())
    throw FormatError(where + ": needs a \"single\" template array");
  std::map<std::string, std::vector<int32_t>> specials;
  if (spec.contains("special_tokens") && spec["special_tokens"].is_object()) {
    for (auto it = spec["special_tokens"].begin(); it != spec["special_tokens"].end(); ++it) {
      if (!it.value().contains("ids") || !it.value()["ids"].is_array())
        throw FormatError(where + ": special_tokens \"" + it.key() + "\" has no \"ids\"");
      specials[it.key()] = it.value()["ids"].get<std::vector<int32_t>>();
    }
  }
  std::vector<std::optional<std::vector<int32_t>>> items;
  for (const Json& item : spec["single"]) {
    if (item.contains("Sequence")) {
      if (item["Sequence"].value("id", std::string("A")) != "A")
        throw FormatError(where + ": the single-sequence template refers to sequence B");
      items.emplace_back(std::nullopt);
    } else if (item.contains("SpecialToken")) {
      const std::string id = item["SpecialToken"].value("id", std::string());
      auto it = specials.find(id);
      if (it == specials.end()) throw FormatError(where + ": template uses \"" + id + "\", which special_tokens does not define");
      items.emplace_back(it->second);
    } else {
      throw FormatError(where + ": template item " + item.dump() + " is neither Sequence nor SpecialToken");
    }
  }
  return std::make_unique<TemplatePostProcessor>(std::move(items));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const Json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = stage_type(spec, where, "post_processor");
  const std::string label = where + ": " + type;
  if (type == "TemplateProcessing") return make_template(spec, label);
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    const int32_t cls = token_pair_id(spec, "cls", label), sep = token_pair_id(spec, "sep", label);
    return std::make_unique<TemplatePostProcessor>(std::vector<std::optional<std::vector<int32_t>>>{
        std::vector<int32_t>{cls}, std::nullopt, std::vector<int32_t>{sep}});
  }
  if (type == "ByteLevel") return std::make_unique<IdentityPostProcessor>();
  if (type == "Sequence")
    return std::make_unique<SequencePostProcessor>(
        make_sequence<PostProcessor>(spec, "processors", where, make_post_processor));
  throw FormatError(where + ": post_processor type \"" + type + "\" is not supported");
}

}  // namespace vltune::text
