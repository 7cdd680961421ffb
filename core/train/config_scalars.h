#pragma once
// YAML scalar text <-> values, as LLaMA-Factory users write them: numbers in any spelling
// ("1.0e-4", "1e-4", quoted or not), YAML 1.1 booleans, comma lists ("q_proj, v_proj"). Writing
// produces text that both yaml-cpp and PyYAML (YAML 1.1, which reads "1e-4" as a string) read back
// as the same value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vltune::train::detail {

// Without leading and trailing blanks.
std::string_view trim(std::string_view text);

// true/false, yes/no, on/off, y/n, 1/0 (any case); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view text);
// A decimal integer, or a whole number written as a decimal ("500.0", "1e3"); nullopt otherwise.
std::optional<int64_t> parse_int(std::string_view text);
// A finite decimal number ("1e-4", "+0.5", ".5"); nullopt otherwise (including .inf and .nan).
std::optional<double> parse_double(std::string_view text);

// Shortest text that reads back as exactly `value`, always with a '.' and a signed exponent when
// there is one ("5.0e-05", "3.0", "0.1"), as YAML 1.1 requires of a float.
std::string format_double(double value);

// `text` as a YAML scalar: plain when every YAML reader takes it back as this string, else double
// quoted with escapes ("no", "1e-4", "", "a: b" are quoted).
std::string yaml_string(std::string_view text);

// LLaMA-Factory's comma lists: split on ',', each item trimmed, empty items dropped.
std::vector<std::string> split_list(std::string_view text);

}  // namespace vltune::train::detail
