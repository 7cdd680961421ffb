#pragma once
// A reader for the Python literals jieba ships its HMM tables as (finalseg/prob_*.py hold
// `P={'B': {'\u4e00': -3.65, ...}, ...}`): dicts with string keys, strings and numbers. Parsing the
// installed files keeps their data out of this repository and always in step with the dictionary
// beside them.

#include <string>
#include <string_view>
#include <vector>

namespace vltune::eval {

struct PyLiteral {
  enum class Kind { number, string, dict };
  Kind kind = Kind::number;
  double number = 0.0;           // Kind::number: the float Python would read
  std::u32string text;           // Kind::string
  std::vector<std::u32string> keys;  // Kind::dict, in file order
  std::vector<PyLiteral> values;     // Kind::dict, values[i] belongs to keys[i]
};

// The value assigned to `name` at the start of a line of `source` (`P={...}`). `where` names the
// file in errors; throws vltune::FormatError with the line for anything else than the literals above.
PyLiteral parse_python_assignment(std::string_view source, std::string_view name, const std::string& where);

}  // namespace vltune::eval
