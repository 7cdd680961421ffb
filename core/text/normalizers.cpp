#include "core/text/normalizers.h"

#include <vector>

#include "core/error.h"
#include "core/text/pipeline_spec.h"
#include "core/text/text_pattern.h"
#include "core/text/unicode.h"
#include "core/text/utf8.h"

namespace vltune::text {

namespace {

using Json = nlohmann::json;

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(unicode::NormalForm form) : m_form(form) {}
  std::string normalize(std::string text) const override { return unicode::normalize(text, m_form); }

 private:
  unicode::NormalForm m_form;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string text) const override { return unicode::to_lower(text); }
};

// Prepends a string to non-empty text (Llama/Mistral's "▁").
class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : m_prefix(std::move(prefix)) {}
  std::string normalize(std::string text) const override {
    if (text.empty()) return text;
    return m_prefix + text;
  }

 private:
  std::string m_prefix;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(TextPattern pattern, std::string content)
      : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
  std::string normalize(std::string text) const override { return m_pattern.replace_all(text, m_content); }

 private:
  TextPattern m_pattern;
  std::string m_content;
};

// Strips Unicode whitespace from the left and/or right.
class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : m_left(left), m_right(right) {}
  std::string normalize(std::string text) const override {
    size_t begin = 0, end = text.size();
    if (m_left) {
      while (begin < end) {
        size_t next = begin;
        if (!unicode::is_whitespace(utf8::next(text, next))) break;
        begin = next;
      }
    }
    if (m_right) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        size_t probe = start;
        if (!unicode::is_whitespace(utf8::next(text, probe))) break;
        end = start;
      }
    }
    return text.substr(begin, end - begin);
  }

 private:
  bool m_left, m_right;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : m_parts(std::move(parts)) {}
  std::string normalize(std::string text) const override {
    for (const auto& part : m_parts) text = part->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> m_parts;
};

std::string string_field(const Json& spec, const char* key, const std::string& where) {
  if (!spec.contains(key) || !spec[key].is_string())
    throw FormatError(where + ": \"" + key + "\" must be a string");
  return spec[key].get<std::string>();
}

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const Json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = stage_type(spec, where, "normalizer");
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::nfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::nfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::nfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::nfkd);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(string_field(spec, "prepend", where + ": Prepend"));
  if (type == "Replace") {
    const std::string label = where + ": Replace";
    if (!spec.contains("pattern")) throw FormatError(label + ": no \"pattern\"");
    return std::make_unique<ReplaceNormalizer>(TextPattern(spec["pattern"], label), string_field(spec, "content", label));
  }
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(spec.value("strip_left", true), spec.value("strip_right", true));
  }
  if (type == "Sequence")
    return std::make_unique<SequenceNormalizer>(make_sequence<Normalizer>(spec, "normalizers", where, make_normalizer));
  throw FormatError(where + ": normalizer type \"" + type + "\" is not supported");
}

}  // namespace vltune::text
