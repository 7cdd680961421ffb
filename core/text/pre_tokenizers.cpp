#include "core/text/pre_tokenizers.h"

#include <functional>

#include "core/error.h"
#include "core/text/byte_level.h"
#include "core/text/pipeline_spec.h"
#include "core/text/text_pattern.h"
#include "core/text/unicode.h"
#include "core/text/utf8.h"

namespace vltune::text {

namespace {

using Json = nlohmann::json;

// GPT-2's pre-tokenization regex, used by ByteLevel when use_regex is true.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct Span {
  size_t start, end;
  bool is_match;
};

// Spans covering all of `length` bytes from the matches (tokenizers' Pattern::find_matches).
void spans_from_matches(size_t length, const std::vector<RegexMatch>& matches, bool invert, std::vector<Span>& out) {
  out.clear();
  size_t prev = 0;
  for (const RegexMatch& m : matches) {
    if (prev < m.start) out.push_back({prev, m.start, invert});
    out.push_back({m.start, m.end, !invert});
    prev = m.end;
  }
  if (prev < length) out.push_back({prev, length, invert});
}

// Applies a SplitBehavior to spans and appends the resulting non-empty pieces of `parent`.
void emit_split(const PreToken& parent, const std::vector<Span>& spans, SplitBehavior behavior,
                std::vector<PreToken>& out) {
  std::vector<std::pair<size_t, size_t>> pieces;
  pieces.reserve(spans.size());
  switch (behavior) {
    case SplitBehavior::removed:
      for (const Span& s : spans)
        if (!s.is_match) pieces.emplace_back(s.start, s.end);
      break;
    case SplitBehavior::isolated:
      for (const Span& s : spans) pieces.emplace_back(s.start, s.end);
      break;
    case SplitBehavior::merged_with_previous: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.is_match && !previous_match && !pieces.empty()) pieces.back().second = s.end;
        else pieces.emplace_back(s.start, s.end);
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::merged_with_next: {
      bool previous_match = false;
      std::vector<std::pair<size_t, size_t>> reversed;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !reversed.empty()) reversed.back().first = it->start;
        else reversed.emplace_back(it->start, it->end);
        previous_match = it->is_match;
      }
      pieces.assign(reversed.rbegin(), reversed.rend());
      break;
    }
    case SplitBehavior::contiguous: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.is_match == previous_match && !pieces.empty()) pieces.back().second = s.end;
        else pieces.emplace_back(s.start, s.end);
        previous_match = s.is_match;
      }
      break;
    }
  }
  for (const auto& [start, end] : pieces) {
    if (start == end) continue;
    out.push_back({parent.text.substr(start, end - start), parent.at_start && start == 0});
  }
}

SplitBehavior parse_behavior(const Json& spec, const std::string& where) {
  const std::string b = spec.value("behavior", std::string("Removed"));
  if (b == "Removed") return SplitBehavior::removed;
  if (b == "Isolated") return SplitBehavior::isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (b == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (b == "Contiguous") return SplitBehavior::contiguous;
  throw FormatError(where + ": Split behavior \"" + b + "\" is not supported");
}

// Split on a regex or literal.
class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(TextPattern pattern, SplitBehavior behavior, bool invert)
      : m_pattern(std::move(pattern)), m_behavior(behavior), m_invert(invert) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    thread_local std::vector<RegexMatch> matches;
    thread_local std::vector<Span> spans;
    std::vector<PreToken> out;
    out.reserve(pieces.size() * 4);
    for (const PreToken& piece : pieces) {
      m_pattern.find_all(piece.text, matches);
      spans_from_matches(piece.text.size(), matches, m_invert, spans);
      emit_split(piece, spans, m_behavior, out);
    }
    pieces = std::move(out);
  }

 private:
  TextPattern m_pattern;
  SplitBehavior m_behavior;
  bool m_invert;
};

// Split where a character predicate holds, each such character its own match.
class CharSplitPreTokenizer final : public PreTokenizer {
 public:
  CharSplitPreTokenizer(std::function<bool(char32_t)> predicate, SplitBehavior behavior)
      : m_predicate(std::move(predicate)), m_behavior(behavior) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<RegexMatch> matches;
    std::vector<Span> spans;
    std::vector<PreToken> out;
    for (const PreToken& piece : pieces) {
      matches.clear();
      size_t pos = 0;
      while (pos < piece.text.size()) {
        const size_t start = pos;
        if (m_predicate(utf8::next(piece.text, pos))) matches.push_back({start, pos});
      }
      spans_from_matches(piece.text.size(), matches, false, spans);
      emit_split(piece, spans, m_behavior, out);
    }
    pieces = std::move(out);
  }

 private:
  std::function<bool(char32_t)> m_predicate;
  SplitBehavior m_behavior;
};

// GPT-2 byte-level: optional prefix space, optional regex split, then bytes to characters.
class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : m_add_prefix_space(add_prefix_space) {
    if (use_regex) m_split.emplace(TextPattern(Json{{"Regex", std::string(kGpt2Pattern)}}, "ByteLevel"),
                                   SplitBehavior::isolated, false);
  }

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    if (m_add_prefix_space)
      for (PreToken& piece : pieces)
        if (piece.text.empty() || piece.text.front() != ' ') piece.text.insert(0, 1, ' ');
    if (m_split) m_split->pre_tokenize(pieces);
    for (PreToken& piece : pieces) {
      std::string mapped;
      mapped.reserve(piece.text.size() * 2);
      byte_level::append_encoded(mapped, piece.text);
      piece.text = std::move(mapped);
    }
  }

 private:
  bool m_add_prefix_space;
  std::optional<SplitPreTokenizer> m_split;
};

enum class PrependScheme { always, first, never };

// SentencePiece-style: spaces become the replacement character ("▁"), which may be prepended,
// and the text may be split before each replacement.
class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : m_replacement(std::move(replacement)), m_scheme(scheme), m_split(split) {}

  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    std::vector<RegexMatch> matches;
    std::vector<Span> spans;
    for (PreToken& piece : pieces) {
      std::string text;
      text.reserve(piece.text.size() + m_replacement.size());
      for (char c : piece.text) {
        if (c == ' ') text.append(m_replacement);
        else text.push_back(c);
      }
      const bool starts = text.compare(0, m_replacement.size(), m_replacement) == 0;
      if (!starts && (m_scheme == PrependScheme::always || (m_scheme == PrependScheme::first && piece.at_start)))
        text.insert(0, m_replacement);
      PreToken rewritten{std::move(text), piece.at_start};
      if (!m_split) {
        if (!rewritten.text.empty()) out.push_back(std::move(rewritten));
        continue;
      }
      matches.clear();
      size_t pos = 0;
      while ((pos = rewritten.text.find(m_replacement, pos)) != std::string::npos) {
        matches.push_back({pos, pos + m_replacement.size()});
        pos += m_replacement.size();
      }
      spans_from_matches(rewritten.text.size(), matches, false, spans);
      emit_split(rewritten, spans, SplitBehavior::merged_with_next, out);
    }
    pieces = std::move(out);
  }

 private:
  std::string m_replacement;
  PrependScheme m_scheme;
  bool m_split;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : m_parts(std::move(parts)) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (const auto& part : m_parts) part->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> m_parts;
};

bool bool_field(const Json& spec, const char* key, bool fallback, const std::string& where) {
  if (!spec.contains(key) || spec[key].is_null()) return fallback;
  if (!spec[key].is_boolean()) throw FormatError(where + ": \"" + key + "\" must be a boolean");
  return spec[key].get<bool>();
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  const std::string type = stage_type(spec, where, "pre_tokenizer");
  const std::string label = where + ": " + type;
  if (type == "Split") {
    if (!spec.contains("pattern")) throw FormatError(label + ": no \"pattern\"");
    return std::make_unique<SplitPreTokenizer>(TextPattern(spec["pattern"], label), parse_behavior(spec, label),
                                               bool_field(spec, "invert", false, label));
  }
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(bool_field(spec, "add_prefix_space", true, label),
                                                   bool_field(spec, "use_regex", true, label));
  if (type == "Digits") {
    const bool individual = bool_field(spec, "individual_digits", false, label);
    return std::make_unique<CharSplitPreTokenizer>(
        unicode::is_numeric, individual ? SplitBehavior::isolated : SplitBehavior::contiguous);
  }
  if (type == "Metaspace") {
    std::string replacement = "\xE2\x96\x81";  // ▁
    if (spec.contains("replacement") && spec["replacement"].is_string()) replacement = spec["replacement"].get<std::string>();
    if (utf8::length(replacement) != 1) throw FormatError(label + ": \"replacement\" must be one character");
    PrependScheme scheme = PrependScheme::always;
    if (spec.contains("prepend_scheme") && spec["prepend_scheme"].is_string()) {
      const std::string s = spec["prepend_scheme"].get<std::string>();
      if (s == "always") scheme = PrependScheme::always;
      else if (s == "first") scheme = PrependScheme::first;
      else if (s == "never") scheme = PrependScheme::never;
      else throw FormatError(label + ": prepend_scheme \"" + s + "\" is not supported");
    } else if (spec.contains("add_prefix_space")) {
      // Files from before prepend_scheme existed.
      scheme = bool_field(spec, "add_prefix_space", true, label) ? PrependScheme::always : PrependScheme::never;
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, scheme, bool_field(spec, "split", true, label));
  }
  if (type == "Whitespace")
    return std::make_unique<SplitPreTokenizer>(TextPattern(Json{{"Regex", R"(\w+|[^\w\s]+)"}}, label),
                                               SplitBehavior::removed, true);
  if (type == "WhitespaceSplit")
    return std::make_unique<CharSplitPreTokenizer>(unicode::is_whitespace, SplitBehavior::removed);
  if (type == "Sequence")
    return std::make_unique<SequencePreTokenizer>(
        make_sequence<PreTokenizer>(spec, "pretokenizers", where, make_pre_tokenizer));
  throw FormatError(where + ": pre_tokenizer type \"" + type + "\" is not supported");
}

}  // namespace vltune::text
