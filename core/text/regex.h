#pragma once
// Regular expressions as tokenizer.json writes them (Oniguruma syntax, Unicode classes such as
// \p{L} and \p{N}, lookahead), compiled with PCRE2 in UTF + UCP mode with JIT.
//
// Oniguruma's \s is the Unicode White_Space property; PCRE2's UCP \s omits U+0085. Patterns are
// rewritten so the two agree (see translate_oniguruma in regex.cpp).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vltune::text {

struct RegexMatch {
  size_t start = 0;  // byte offset of the match
  size_t end = 0;    // one past its last byte
};

class Regex {
 public:
  // Compiles `pattern`. Throws FormatError with `label` (what the pattern belongs to) and PCRE2's
  // message and offset when it does not compile.
  Regex(std::string_view pattern, const std::string& label);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Every non-overlapping match in `text` (valid UTF-8), left to right. An empty match advances
  // by one character, as the Rust regex crate's find_iter does.
  std::vector<RegexMatch> find_all(std::string_view text) const;
  // Appends to `out` (cleared first); reuses its capacity.
  void find_all(std::string_view text, std::vector<RegexMatch>& out) const;

  const std::string& pattern() const { return m_pattern; }

  // `literal` with every regex metacharacter escaped.
  static std::string escape(std::string_view literal);

 private:
  struct Code;
  std::unique_ptr<Code> m_code;
  std::string m_pattern;
};

}  // namespace vltune::text
