#include "core/eval/python_text.h"

#include "core/text/utf8.h"

namespace vltune::eval {

bool is_python_space(char32_t c) {
  // CPython's _PyUnicode_IsWhitespace: bidirectional types WS, B, S and category Zs.
  if (c <= 0x20) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

std::u32string to_code_points(std::string_view utf8) {
  const std::string valid =
      text::utf8::is_valid(utf8) ? std::string(utf8) : text::utf8::from_bytes_lossy(utf8);
  std::u32string out;
  out.reserve(valid.size());
  for (size_t pos = 0; pos < valid.size();) out.push_back(text::utf8::next(valid, pos));
  return out;
}

std::string to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) text::utf8::append(out, c);
  return out;
}

}  // namespace vltune::eval
