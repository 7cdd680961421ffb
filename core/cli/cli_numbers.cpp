#include "core/cli/cli_numbers.h"

#include <exception>

namespace vltune::cli {

std::optional<double> whole_double(const std::string& text) {
  try {
    size_t used = 0;
    const double d = std::stod(text, &used);
    if (used == text.size()) return d;
  } catch (const std::exception&) {  // no number at all, or out of range
  }
  return std::nullopt;
}

std::optional<int64_t> whole_integer(const std::string& text) {
  try {
    size_t used = 0;
    const long long n = std::stoll(text, &used);
    if (used == text.size()) return static_cast<int64_t>(n);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace vltune::cli
