#include "core/text/text_pattern.h"

#include "core/error.h"

namespace vltune::text {

TextPattern::TextPattern(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_string()) {
    m_literal = spec.get<std::string>();
  } else if (spec.is_object() && spec.contains("String") && spec["String"].is_string()) {
    m_literal = spec["String"].get<std::string>();
  } else if (spec.is_object() && spec.contains("Regex") && spec["Regex"].is_string()) {
    m_regex.emplace(spec["Regex"].get<std::string>(), where);
  } else {
    throw FormatError(where + ": pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + spec.dump());
  }
  if (!m_regex && m_literal.empty()) throw FormatError(where + ": empty string pattern");
}

void TextPattern::find_all(std::string_view text, std::vector<RegexMatch>& out) const {
  if (m_regex) {
    m_regex->find_all(text, out);
    return;
  }
  out.clear();
  size_t pos = 0;
  while ((pos = text.find(m_literal, pos)) != std::string_view::npos) {
    out.push_back({pos, pos + m_literal.size()});
    pos += m_literal.size();
  }
}

std::string TextPattern::replace_all(std::string_view text, std::string_view content) const {
  thread_local std::vector<RegexMatch> matches;
  find_all(text, matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size() + matches.size() * content.size());
  size_t pos = 0;
  for (const RegexMatch& m : matches) {
    out.append(text.substr(pos, m.start - pos));
    out.append(content);
    pos = m.end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace vltune::text
