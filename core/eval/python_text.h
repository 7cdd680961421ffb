#pragma once
// The parts of Python's str semantics that the metrics depend on: text as code points (BLEU counts
// characters, jieba indexes them) and what str.isspace(), str.split() and the re module's \s call
// whitespace (ROUGE's word splitting and jieba's blocks use them).

#include <string>
#include <string_view>

namespace vltune::eval {

// str.isspace() for one code point; re's \s matches exactly the same set.
bool is_python_space(char32_t c);

// UTF-8 to code points; invalid bytes become U+FFFD, as bytes.decode("utf-8", "replace") does.
std::u32string to_code_points(std::string_view utf8);

std::string to_utf8(std::u32string_view text);

}  // namespace vltune::eval
