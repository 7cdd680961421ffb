#pragma once
// Unicode services the tokenizers need, backed by ICU: normalization forms, lowercasing, and the
// character classes Rust's standard library and regex crate use (White_Space, \w, is_numeric).

#include <string>
#include <string_view>

namespace vltune::text::unicode {

enum class NormalForm { nfc, nfd, nfkc, nfkd };

// `text` (valid UTF-8) in the given normalization form.
std::string normalize(std::string_view text, NormalForm form);

// Full Unicode lowercase mapping (Rust's str::to_lowercase, final sigma included).
std::string to_lower(std::string_view text);

// White_Space property: Rust's char::is_whitespace and the regex crate's \s.
bool is_whitespace(char32_t c);

// The regex crate's Unicode \w: Alphabetic, marks, decimal digits, connector punctuation, joiners.
bool is_word_char(char32_t c);

// Rust's char::is_numeric: general categories Nd, Nl and No.
bool is_numeric(char32_t c);

}  // namespace vltune::text::unicode
