#pragma once
// Numbers given on the command line: the whole argument or nothing, so "8x", "8 " or "" is never
// taken as 8 or 0. Each command keeps its own bounds and its own message naming the flag.

#include <cstdint>
#include <optional>
#include <string>

namespace vltune::cli {

// `text` as a number when all of it is one (std::stod's syntax: "2", "0.5", "1e-9"); else nullopt.
std::optional<double> whole_double(const std::string& text);

// `text` as a whole number when all of it is one (std::stoll's, base 10); else nullopt.
std::optional<int64_t> whole_integer(const std::string& text);

}  // namespace vltune::cli
