#pragma once
// The "pattern" of Split and Replace in tokenizer.json: {"String": literal} or {"Regex": re}.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/text/regex.h"

namespace vltune::text {

class TextPattern {
 public:
  // Reads {"String": ...} or {"Regex": ...}; a bare string counts as a literal. `where` names the
  // owner in errors.
  TextPattern(const nlohmann::json& spec, const std::string& where);

  // Every non-overlapping match, left to right.
  void find_all(std::string_view text, std::vector<RegexMatch>& out) const;
  // `text` with every match replaced by `content`.
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  std::string m_literal;        // used when m_regex is empty
  std::optional<Regex> m_regex;
};

}  // namespace vltune::text
