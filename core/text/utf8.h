#pragma once
// UTF-8 helpers with no dependencies: code point iteration, encoding, validation and the lossy
// conversion Rust's String::from_utf8_lossy does (which Hugging Face decoders use).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vltune::text::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;        // U+FFFD REPLACEMENT CHARACTER
inline constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// Length in bytes of the sequence a lead byte starts (1 for ASCII and for invalid lead bytes).
inline size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Decodes the code point at `pos` of valid UTF-8 and advances `pos` past it.
inline char32_t next(std::string_view s, size_t& pos) {
  const auto c0 = static_cast<unsigned char>(s[pos]);
  const size_t n = sequence_length(c0);
  if (n == 1 || pos + n > s.size()) {
    ++pos;
    return c0 < 0x80 ? c0 : kReplacement;
  }
  char32_t cp = n == 2 ? (c0 & 0x1F) : n == 3 ? (c0 & 0x0F) : (c0 & 0x07);
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  pos += n;
  return cp;
}

// Appends `cp` as UTF-8.
void append(std::string& out, char32_t cp);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid(std::string_view s);

// `bytes` as UTF-8, each maximal invalid subsequence replaced by U+FFFD (Unicode's "substitution
// of maximal subparts", which is what from_utf8_lossy does).
std::string from_bytes_lossy(std::string_view bytes);

// Number of code points in valid UTF-8.
size_t length(std::string_view s);

// True when every byte is ASCII.
bool is_ascii(std::string_view s);

}  // namespace vltune::text::utf8
