#include "core/train/config_scalars.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace vltune::train::detail {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

// from_chars takes no leading '+', which YAML and Python allow.
std::string_view without_plus(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
  return text;
}

}  // namespace

std::string_view trim(std::string_view text) {
  const auto blank = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = lower(trim(text));
  if (t == "true" || t == "yes" || t == "on" || t == "y" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "n" || t == "0") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view text) {
  const std::string_view t = without_plus(trim(text));
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec == std::errc() && end == t.data() + t.size() && !t.empty()) return value;
  // A whole number written as a float; 2^63 itself is out of range.
  const auto d = parse_double(t);
  if (d && std::trunc(*d) == *d && std::fabs(*d) < 9.2233720368547758e18) return static_cast<int64_t>(*d);
  return std::nullopt;
}

std::optional<double> parse_double(std::string_view text) {
  const std::string_view t = without_plus(trim(text));
  if (t.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string format_double(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  const std::string text(buf, result.ptr);
  const size_t e = text.find_first_of("eE");
  std::string mantissa = text.substr(0, e);
  std::string exponent = e == std::string::npos ? "" : text.substr(e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  if (exponent.size() > 1 && exponent[1] != '-' && exponent[1] != '+') exponent.insert(1, "+");
  return mantissa + exponent;
}

std::string yaml_string(std::string_view text) {
  bool plain = !text.empty();
  for (const char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    const bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '_' || ch == '.' || ch == '/' || ch == '-' || ch == ',' || ch == '+' || u >= 0x80;
    if (!safe) plain = false;
  }
  if (plain) {
    // Anything a YAML reader could take for a number, a boolean or null stays quoted; so does a
    // leading '-' or '.', which could start a sequence or a float.
    const char first = text.front();
    const std::string t = lower(text);
    if ((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.' || parse_bool(t) ||
        t == "null" || t == "~")
      plain = false;
  }
  if (plain) return std::string(text);
  std::string out = "\"";
  for (const char ch : text) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
          out += hex;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = trim(text.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace vltune::train::detail
