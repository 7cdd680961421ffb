// to_yaml: TrainConfig as the YAML a LLaMA-Factory user writes, laid out like LLaMA-Factory's
// examples (### model, ### method, ...). Every value is written so that both yaml-cpp and PyYAML
// read it back unchanged (config_scalars.h), so the file round-trips here and runs in
// llamafactory-cli.

#include <map>

#include "core/train/config_fields.h"
#include "core/train/config_scalars.h"
#include "core/train/train_config.h"

namespace vltune::train {
namespace {

using detail::FieldInfo;

struct Line {
  std::string section;  // "" for a section header line
  std::string key;
  std::string text;     // the value as YAML
  FieldInfo info;
  bool constant = false;
};

// Turns each field into its YAML text (a visitor of config_fields.h).
class Writer {
 public:
  std::vector<Line> lines;

  void section(std::string_view name) { m_section = name; }
  void constant(std::string_view key, std::string_view text) {
    lines.push_back({m_section, std::string(key), std::string(text), {}, true});
  }
  template <class T>
  void operator()(std::string_view key, const T& field, FieldInfo info = {}) {
    lines.push_back({m_section, std::string(key), text(field, info), info, false});
  }

 private:
  static std::string text(const std::string& value, FieldInfo info) {
    if (value.empty()) return "null";  // every string field's "not set"
    if (info.plain_true && value == "true") return "true";
    return detail::yaml_string(value);
  }
  static std::string text(bool value, FieldInfo) { return value ? "true" : "false"; }
  static std::string text(int64_t value, FieldInfo) { return std::to_string(value); }
  static std::string text(double value, FieldInfo) { return detail::format_double(value); }
  template <class T>
  static std::string text(const std::optional<T>& value, FieldInfo info) {
    return value ? text(*value, info) : "null";
  }
  // LLaMA-Factory's comma list, unless an item would not survive one (then a YAML list).
  static std::string text(const std::vector<std::string>& items, FieldInfo) {
    if (items.empty()) return "null";
    bool comma_list = true;
    for (const auto& item : items)
      if (item.empty() || item.find(',') != std::string::npos || detail::trim(item).size() != item.size())
        comma_list = false;
    std::string out;
    if (comma_list) {
      for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
      return detail::yaml_string(out);
    }
    for (const auto& item : items) {
      // Inside [ ] a plain item must not hold flow indicators; quoting them all is simplest.
      std::string quoted = detail::yaml_string(item);
      if (quoted.front() != '"') quoted = "\"" + quoted + "\"";
      out += (out.empty() ? "" : ", ") + quoted;
    }
    return "[" + out + "]";
  }
  template <class E>
    requires std::is_enum_v<E>
  static std::string text(E value, FieldInfo) {
    return detail::yaml_string(detail::enum_name(value));
  }

  std::string m_section;
};

// Written even when default, so that a compact file still says what it trains and where.
bool always_written(std::string_view key) {
  return key == "model_name_or_path" || key == "stage" || key == "do_train" || key == "finetuning_type" ||
         key == "dataset" || key == "template" || key == "output_dir";
}

}  // namespace

std::string to_yaml(const TrainConfig& config, const YamlOptions& options) {
  Writer defaults_writer;
  const TrainConfig defaults;
  detail::visit_train_config(defaults, defaults_writer);
  std::map<std::string, std::string> default_text;
  for (const auto& line : defaults_writer.lines) default_text[line.key] = line.text;

  Writer writer;
  detail::visit_train_config(config, writer);
  std::string out;
  std::string section;
  for (const auto& line : writer.lines) {
    const bool is_default = default_text[line.key] == line.text;
    if (is_default && line.info.only_if_changed) continue;
    if (is_default && options.changed_only && !always_written(line.key)) continue;
    if (line.section != section || out.empty()) {
      if (!out.empty()) out += "\n";
      out += "### " + line.section + "\n";
      section = line.section;
    }
    out += line.key + ": " + line.text + "\n";
  }
  return out;
}

}  // namespace vltune::train
