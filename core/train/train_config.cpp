// Reading a LLaMA-Factory training YAML into TrainConfig: every key of config_fields.h into its
// field, then the keys left over sorted into ignored, refused and unknown (config_keys.h), then
// the range checks (train_config_checks.cpp).

#include "core/train/train_config.h"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/train/config_fields.h"
#include "core/train/config_keys.h"
#include "core/train/config_scalars.h"

namespace vltune::train {
namespace {

using detail::FieldInfo;

struct Entry {
  std::string key;      // the TrainConfig key it fills (an old name is renamed)
  std::string written;  // the key as written, for messages
  YAML::Node value;
  int line = 0;         // 1-based line of the key
  bool used = false;    // read into a field
};

std::string at(const std::string& source, int line) {
  return line > 0 ? source + ", line " + std::to_string(line) : source;
}

std::string lower(std::string_view text) {
  std::string out(detail::trim(text));
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

// A value as written, for messages.
std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "null";
}

// Fills the fields from the entries (a visitor of config_fields.h).
class Reader {
 public:
  Reader(std::vector<Entry>& entries, const std::string& source) : m_entries(entries), m_source(source) {}

  void section(std::string_view) {}
  void constant(std::string_view, std::string_view) {}

  template <class T>
  void operator()(std::string_view key, T& field, FieldInfo info = {}) {
    for (auto& entry : m_entries) {
      if (entry.key != key) continue;
      entry.used = true;
      // null (`key:`, `key: null`, `key: ~`) leaves the default, as Python's None does.
      if (!entry.value.IsNull()) read(entry, field, info);
      return;
    }
  }

 private:
  [[noreturn]] void fail(const Entry& e, const std::string& what) const {
    throw FormatError(at(m_source, e.line) + ": " + e.written + " " + what);
  }

  const std::string& scalar(const Entry& e, std::string_view expected) const {
    if (!e.value.IsScalar()) fail(e, "should be " + std::string(expected) + ", not " + shown(e.value));
    return e.value.Scalar();
  }

  void read(const Entry& e, std::string& field, FieldInfo info) const {
    const std::string& text = scalar(e, "text");
    // A plain true/false is transformers' boolean resume_from_checkpoint; a quoted one a folder.
    if (info.plain_true && e.value.Tag() == "?" && !text.empty() && !(text[0] >= '0' && text[0] <= '9')) {
      if (const auto b = detail::parse_bool(text)) {
        field = *b ? "true" : "";
        return;
      }
    }
    field = text;
  }

  void read(const Entry& e, bool& field, FieldInfo) const {
    const auto value = detail::parse_bool(scalar(e, "true or false"));
    if (!value) fail(e, "should be true or false, not " + shown(e.value));
    field = *value;
  }

  void read(const Entry& e, int64_t& field, FieldInfo) const {
    const std::string& text = scalar(e, "a whole number");
    const auto value = detail::parse_int(text);
    if (!value) {
      // transformers reads logging/save/eval_steps (and, from v5, warmup_steps) below 1 as a
      // fraction of the run; here they are step counts.
      const auto d = detail::parse_double(text);
      fail(e, "should be a whole number, not " + shown(e.value) +
                  (d && *d > 0 && *d < 1 ? " (a fraction of the run is not supported here: give a step count)" : ""));
    }
    field = *value;
  }

  void read(const Entry& e, double& field, FieldInfo) const {
    const auto value = detail::parse_double(scalar(e, "a number"));
    if (!value) fail(e, "should be a number, not " + shown(e.value));
    field = *value;
  }

  template <class T>
  void read(const Entry& e, std::optional<T>& field, FieldInfo info) const {
    T value{};
    read(e, value, info);
    field = value;
  }

  // A comma list ("q_proj, v_proj") or a YAML list; list items are taken as written.
  void read(const Entry& e, std::vector<std::string>& field, FieldInfo) const {
    if (e.value.IsScalar()) {
      field = detail::split_list(e.value.Scalar());
      return;
    }
    if (!e.value.IsSequence()) fail(e, "should be a comma-separated list or a YAML list, not " + shown(e.value));
    field.clear();
    for (const auto& item : e.value) {
      if (!item.IsScalar()) fail(e, "should be a list of names, but an item is " + shown(item));
      field.push_back(item.Scalar());
    }
  }

  template <class E>
    requires std::is_enum_v<E>
  void read(const Entry& e, E& field, FieldInfo) const {
    const std::string text = lower(scalar(e, "a name"));
    std::string supported;
    for (const auto& [value, name] : detail::EnumNames<E>::values) {
      if (name == text) {
        field = value;
        return;
      }
      supported += (supported.empty() ? "" : ", ") + std::string(name);
    }
    throw FormatError(at(m_source, e.line) + ": " + e.written + ": " + shown(e.value) +
                      " is not supported here (supported: " + supported + ")");
  }

  std::vector<Entry>& m_entries;
  const std::string& m_source;
};

// Collects the keys of config_fields.h.
struct KeyCollector {
  std::vector<std::string_view> keys;
  void section(std::string_view) {}
  void constant(std::string_view key, std::string_view) { keys.push_back(key); }
  template <class T>
  void operator()(std::string_view key, const T&, FieldInfo = {}) {
    keys.push_back(key);
  }
};

const std::vector<std::string_view>& known_keys() {
  static const std::vector<std::string_view> keys = [] {
    KeyCollector collector;
    const TrainConfig defaults;
    detail::visit_train_config(defaults, collector);
    for (const auto key : table_keys()) collector.keys.push_back(key);
    return collector.keys;
  }();
  return keys;
}

// Whether a rule's value test holds for the value written.
bool rule_applies(const ValueRule& rule, const Entry& e, const std::string& source) {
  const YAML::Node& v = e.value;
  if (v.IsNull()) return false;
  switch (rule.test) {
    case ValueTest::is_true:
    case ValueTest::is_false: {
      const auto b = v.IsScalar() ? detail::parse_bool(v.Scalar()) : std::nullopt;
      if (!b) throw FormatError(at(source, e.line) + ": " + e.written + " should be true or false, not " + shown(v));
      return *b == (rule.test == ValueTest::is_true);
    }
    case ValueTest::is_set:
      if (v.IsScalar()) return !detail::trim(v.Scalar()).empty() && detail::parse_bool(v.Scalar()) != false;
      return v.size() > 0;
    case ValueTest::differs: {
      if (!v.IsScalar()) return true;
      const std::string text = lower(v.Scalar());
      std::string_view alternatives = rule.expected;
      while (!alternatives.empty()) {
        const size_t bar = alternatives.find('|');
        const std::string_view expected = alternatives.substr(0, bar);
        const auto a = detail::parse_double(text), b = detail::parse_double(expected);
        if (a && b ? *a == *b : text == expected) return false;
        alternatives = bar == std::string_view::npos ? std::string_view() : alternatives.substr(bar + 1);
      }
      return true;
    }
  }
  return false;
}

TrainConfig read_config(const std::string& text, ConfigReport* report, const std::string& source) {
  ConfigReport local;
  ConfigReport& rep = report ? *report : local;
  rep = ConfigReport{};

  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw FormatError(at(source, e.mark.is_null() ? 0 : e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  TrainConfig config;
  if (root.IsNull()) {  // empty, or only comments: every default
    validate_train_config(config, &rep, [&](std::string_view) { return source; });
    return config;
  }
  if (!root.IsMap()) throw FormatError(source + ": should be `key: value` lines (a YAML mapping)");

  std::vector<Entry> entries;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const int line = it->first.Mark().is_null() ? 0 : it->first.Mark().line + 1;
    if (!it->first.IsScalar()) throw FormatError(at(source, line) + ": a key should be a name");
    const std::string key = it->first.Scalar();
    for (const auto& other : entries)
      if (other.written == key)
        throw FormatError(at(source, line) + ": " + key + " is set twice (also on line " +
                          std::to_string(other.line) + ")");
    entries.push_back(Entry{key, key, it->second, line});
  }
  for (auto& e : entries) {
    const std::string_view name = renamed_key(e.key);
    if (name.empty()) continue;
    for (const auto& other : entries)
      if (other.key == name)
        throw FormatError(at(source, e.line) + ": " + e.key + " is the old name of " + std::string(name) +
                          ", which is set too (line " + std::to_string(other.line) + "); keep one");
    rep.warnings.push_back(at(source, e.line) + ": " + e.key + " is the old name of " + std::string(name) +
                           "; read as " + std::string(name));
    e.key = name;
  }

  Reader reader(entries, source);
  detail::visit_train_config(config, reader);

  for (const auto& e : entries) {
    if (e.used) continue;
    if (const ValueRule* rule = find_value_rule(e.key)) {
      if (rule_applies(*rule, e, source)) {
        if (rule->error)
          throw FormatError(at(source, e.line) + ": " + e.written + ": " + shown(e.value) +
                            " is not supported here (" + std::string(rule->why) + ")");
        rep.warnings.push_back(at(source, e.line) + ": " + e.written + ": " + shown(e.value) + " is ignored (" +
                               std::string(rule->why) + ")");
      }
      rep.ignored.push_back(e.written);
    } else if (is_ignored_key(e.key)) {
      rep.ignored.push_back(e.written);
    } else {
      const std::string suggestion = closest_key(e.key, known_keys());
      rep.unknown.push_back({e.written, suggestion, e.line});
      rep.warnings.push_back(at(source, e.line) + ": unknown key " + e.written +
                             (suggestion.empty() ? " (ignored)" : " (ignored); did you mean " + suggestion + "?"));
    }
  }

  validate_train_config(config, &rep, [&](std::string_view key) {
    for (const auto& e : entries)
      if (e.key == key) return at(source, e.line);
    return source;
  });
  return config;
}

}  // namespace

TrainConfig load_train_config(const std::filesystem::path& yaml_file, ConfigReport* report) {
  std::ifstream in(yaml_file, std::ios::binary);
  if (!in) throw FileError(yaml_file.string() + ": cannot open the training config");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw FileError(yaml_file.string() + ": cannot read the training config");
  return read_config(text.str(), report, yaml_file.string());
}

TrainConfig load_train_config_from_string(std::string_view yaml_text, ConfigReport* report,
                                          const std::string& source) {
  return read_config(std::string(yaml_text), report, source);
}

std::string_view to_string(Stage value) { return detail::enum_name(value); }
std::string_view to_string(FinetuningType value) { return detail::enum_name(value); }
std::string_view to_string(PrefLoss value) { return detail::enum_name(value); }
std::string_view to_string(LrScheduler value) { return detail::enum_name(value); }
std::string_view to_string(Optimizer value) { return detail::enum_name(value); }
std::string_view to_string(IntervalStrategy value) { return detail::enum_name(value); }

}  // namespace vltune::train
