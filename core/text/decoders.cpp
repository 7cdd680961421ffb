#include "core/text/decoders.h"

#include "core/error.h"
#include "core/text/byte_level.h"
#include "core/text/pipeline_spec.h"
#include "core/text/text_pattern.h"
#include "core/text/utf8.h"

namespace vltune::text {

namespace {

using Json = nlohmann::json;

// Byte-level characters back to bytes, all tokens joined, then lossy UTF-8. A token with a
// character outside the table (an added token such as "<|im_start|>" never has one, but a
// hand-made vocabulary might) keeps its own bytes.
class ByteLevelDecoder final : public TokenDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      const size_t mark = bytes.size();
      bool mapped = true;
      size_t pos = 0;
      while (pos < token.size()) {
        const auto b = byte_level::byte_for_char(utf8::next(token, pos));
        if (!b) {
          mapped = false;
          break;
        }
        bytes.push_back(static_cast<char>(*b));
      }
      if (!mapped) {
        bytes.resize(mark);
        bytes.append(token);
      }
    }
    tokens.assign(1, utf8::from_bytes_lossy(bytes));
  }
};

class ReplaceDecoder final : public TokenDecoder {
 public:
  ReplaceDecoder(TextPattern pattern, std::string content) : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) token = m_pattern.replace_all(token, m_content);
  }

 private:
  TextPattern m_pattern;
  std::string m_content;
};

// Runs of "<0xXX>" tokens become the bytes they name; a run that is not valid UTF-8 becomes one
// U+FFFD per byte, as tokenizers does.
class ByteFallbackDecoder final : public TokenDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (utf8::is_valid(pending)) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending.size(); ++i) out.emplace_back(utf8::kReplacementUtf8);
      }
      pending.clear();
    };
    for (std::string& token : tokens) {
      if (auto b = parse_byte(token)) {
        pending.push_back(static_cast<char>(*b));
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static std::optional<uint8_t> parse_byte(const std::string& token) {
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return std::nullopt;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = hex(token[3]), lo = hex(token[4]);
    if (hi < 0 || lo < 0) return std::nullopt;
    return static_cast<uint8_t>(hi * 16 + lo);
  }
};

class FuseDecoder final : public TokenDecoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character from each token.
class StripDecoder final : public TokenDecoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop) : m_content(std::move(content)), m_start(start), m_stop(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    const size_t n = m_content.size();
    for (std::string& token : tokens) {
      size_t begin = 0, end = token.size();
      for (size_t i = 0; i < m_start && end - begin >= n && token.compare(begin, n, m_content) == 0; ++i) begin += n;
      for (size_t i = 0; i < m_stop && end - begin >= n && token.compare(end - n, n, m_content) == 0; ++i) end -= n;
      token = token.substr(begin, end - begin);
    }
  }

 private:
  std::string m_content;
  size_t m_start, m_stop;
};

// "▁" back to spaces; the first token loses its replacement characters when a prefix was added.
class MetaspaceDecoder final : public TokenDecoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first) : m_replacement(std::move(replacement)), m_strip_first(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      size_t pos = 0;
      const std::string& t = tokens[i];
      while (pos < t.size()) {
        if (t.compare(pos, m_replacement.size(), m_replacement) == 0) {
          if (!(i == 0 && m_strip_first)) out.push_back(' ');
          pos += m_replacement.size();
        } else {
          out.push_back(t[pos++]);
        }
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string m_replacement;
  bool m_strip_first;
};

// The end-of-word suffix becomes a space, except on the last token.
class BpeSuffixDecoder final : public TokenDecoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : m_suffix(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string replacement = i + 1 == tokens.size() ? "" : " ";
      std::string& t = tokens[i];
      std::string out;
      size_t pos = 0, hit;
      while ((hit = t.find(m_suffix, pos)) != std::string::npos) {
        out.append(t, pos, hit - pos).append(replacement);
        pos = hit + m_suffix.size();
      }
      out.append(t, pos);
      t = std::move(out);
    }
  }

 private:
  std::string m_suffix;
};

class SequenceDecoder final : public TokenDecoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<TokenDecoder>> parts) : m_parts(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& part : m_parts) part->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<TokenDecoder>> m_parts;
};

std::string string_or(const Json& spec, const char* key, std::string fallback) {
  if (spec.contains(key) && spec[key].is_string()) return spec[key].get<std::string>();
  return fallback;
}

}  // namespace

std::unique_ptr<TokenDecoder> make_decoder(const Json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = stage_type(spec, where, "decoder");
  const std::string label = where + ": " + type;
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace") {
    if (!spec.contains("pattern") || !spec.contains("content") || !spec["content"].is_string())
      throw FormatError(label + ": needs \"pattern\" and a string \"content\"");
    return std::make_unique<ReplaceDecoder>(TextPattern(spec["pattern"], label), spec["content"].get<std::string>());
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    const std::string content = string_or(spec, "content", " ");
    if (utf8::length(content) != 1) throw FormatError(label + ": \"content\" must be one character");
    return std::make_unique<StripDecoder>(content, spec.value("start", size_t{0}), spec.value("stop", size_t{0}));
  }
  if (type == "Metaspace") {
    bool strip_first = true;
    if (spec.contains("prepend_scheme") && spec["prepend_scheme"].is_string())
      strip_first = spec["prepend_scheme"].get<std::string>() != "never";
    else if (spec.contains("add_prefix_space") && spec["add_prefix_space"].is_boolean())
      strip_first = spec["add_prefix_space"].get<bool>();
    return std::make_unique<MetaspaceDecoder>(string_or(spec, "replacement", "\xE2\x96\x81"), strip_first);
  }
  if (type == "BPEDecoder") return std::make_unique<BpeSuffixDecoder>(string_or(spec, "suffix", "</w>"));
  if (type == "Sequence")
    return std::make_unique<SequenceDecoder>(make_sequence<TokenDecoder>(spec, "decoders", where, make_decoder));
  throw FormatError(where + ": decoder type \"" + type + "\" is not supported");
}

}  // namespace vltune::text
