#include "core/eval/python_literal.h"

#include <charconv>
#include <cstdint>

#include "core/error.h"
#include "core/text/utf8.h"

namespace vltune::eval {
namespace {

class Parser {
 public:
  Parser(std::string_view source, size_t pos, const std::string& where)
      : m_src(source), m_pos(pos), m_where(where) {}

  PyLiteral value() {
    skip_space();
    if (m_pos >= m_src.size()) fail("unexpected end of file");
    const char c = m_src[m_pos];
    if (c == '{') return dict();
    if (c == '\'' || c == '"' || ((c == 'u' || c == 'U') && m_pos + 1 < m_src.size() &&
                                  (m_src[m_pos + 1] == '\'' || m_src[m_pos + 1] == '"'))) {
      PyLiteral out;
      out.kind = PyLiteral::Kind::string;
      out.text = string();
      return out;
    }
    return number();
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    int64_t line = 1;
    for (size_t i = 0; i < m_pos && i < m_src.size(); ++i) line += m_src[i] == '\n';
    throw FormatError(m_where + ": line " + std::to_string(line) + ": " + what);
  }

  void skip_space() {
    while (m_pos < m_src.size()) {
      const char c = m_src[m_pos];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++m_pos;
      } else if (c == '#') {
        while (m_pos < m_src.size() && m_src[m_pos] != '\n') ++m_pos;
      } else {
        break;
      }
    }
  }

  void expect(char c) {
    skip_space();
    if (m_pos >= m_src.size() || m_src[m_pos] != c) fail(std::string("expected '") + c + "'");
    ++m_pos;
  }

  PyLiteral dict() {
    PyLiteral out;
    out.kind = PyLiteral::Kind::dict;
    expect('{');
    for (;;) {
      skip_space();
      if (m_pos < m_src.size() && m_src[m_pos] == '}') break;
      out.keys.push_back(string());
      expect(':');
      out.values.push_back(value());
      skip_space();
      if (m_pos < m_src.size() && m_src[m_pos] == ',') {
        ++m_pos;
        continue;
      }
      break;
    }
    expect('}');
    return out;
  }

  uint32_t hex_digits(size_t count) {
    if (m_pos + count > m_src.size()) fail("truncated escape");
    uint32_t v = 0;
    const auto [end, ec] = std::from_chars(m_src.data() + m_pos, m_src.data() + m_pos + count, v, 16);
    if (ec != std::errc() || end != m_src.data() + m_pos + count) fail("bad escape");
    m_pos += count;
    return v;
  }

  std::u32string string() {
    skip_space();
    if (m_pos < m_src.size() && (m_src[m_pos] == 'u' || m_src[m_pos] == 'U')) ++m_pos;
    if (m_pos >= m_src.size() || (m_src[m_pos] != '\'' && m_src[m_pos] != '"')) fail("expected a string");
    const char quote = m_src[m_pos++];
    std::u32string out;
    for (;;) {
      if (m_pos >= m_src.size() || m_src[m_pos] == '\n') fail("unterminated string");
      const char c = m_src[m_pos];
      if (c == quote) {
        ++m_pos;
        return out;
      }
      if (c != '\\') {
        out.push_back(text::utf8::next(m_src, m_pos));
        continue;
      }
      if (++m_pos >= m_src.size()) fail("unterminated string");
      const char e = m_src[m_pos++];
      switch (e) {
        case '\\': out.push_back(U'\\'); break;
        case '\'': out.push_back(U'\''); break;
        case '"': out.push_back(U'"'); break;
        case 'n': out.push_back(U'\n'); break;
        case 'r': out.push_back(U'\r'); break;
        case 't': out.push_back(U'\t'); break;
        case 'x': out.push_back(hex_digits(2)); break;
        case 'u': out.push_back(hex_digits(4)); break;
        case 'U': out.push_back(hex_digits(8)); break;
        default: fail(std::string("unsupported escape \\") + e);
      }
    }
  }

  PyLiteral number() {
    skip_space();
    size_t start = m_pos;
    if (start < m_src.size() && m_src[start] == '+') ++start;  // from_chars takes no '+'
    PyLiteral out;
    const auto [end, ec] = std::from_chars(m_src.data() + start, m_src.data() + m_src.size(), out.number);
    if (ec != std::errc() || end == m_src.data() + start) fail("expected a number, a string or a dict");
    m_pos = static_cast<size_t>(end - m_src.data());
    return out;
  }

  std::string_view m_src;
  size_t m_pos;
  const std::string& m_where;
};

}  // namespace

PyLiteral parse_python_assignment(std::string_view source, std::string_view name, const std::string& where) {
  size_t line_start = 0;
  while (line_start < source.size()) {
    size_t line_end = source.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = source.size();
    const std::string_view line = source.substr(line_start, line_end - line_start);
    if (line.starts_with(name)) {
      size_t i = name.size();
      while (i < line.size() && line[i] == ' ') ++i;
      if (i < line.size() && line[i] == '=' && (i + 1 >= line.size() || line[i + 1] != '=')) {
        return Parser(source, line_start + i + 1, where).value();
      }
    }
    line_start = line_end + 1;
  }
  throw FormatError(where + ": no assignment to " + std::string(name));
}

}  // namespace vltune::eval
