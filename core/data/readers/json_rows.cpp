#include "core/data/readers/json_rows.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>

#include "core/data/readers/reader_common.h"
#include "core/error.h"
#include "core/text/utf8.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kNone = std::numeric_limits<size_t>::max();

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_ws(std::string_view t, size_t p) {
  while (p < t.size() && is_ws(t[p])) ++p;
  return p;
}

// A place in a file as an editor shows it: 1-based line, 1-based column in characters.
struct Position {
  int64_t line = 1;
  int64_t column = 1;
};

// `from` moved over `text`.
Position advance(Position from, std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      ++from.line;
      from.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count characters, not continuation bytes
      ++from.column;
    }
  }
  return from;
}

// Positions of increasing offsets into one text, each computed from the previous one.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : m_text(text) {}
  Position at(size_t offset) {
    m_position = advance(m_position, m_text.substr(m_offset, offset - m_offset));
    m_offset = offset;
    return m_position;
  }

 private:
  std::string_view m_text;
  size_t m_offset = 0;
  Position m_position;
};

// One past the end of the JSON value that starts at `begin`, by structure alone (brackets outside
// strings); kNone when the text ends first. Rows are cut out this way so each is parsed, and
// judged, on its own.
size_t value_end(std::string_view t, size_t begin) {
  const char first = t[begin];
  if (first == '{' || first == '[') {
    int64_t depth = 0;
    bool in_string = false;
    for (size_t p = begin; p < t.size(); ++p) {
      const char c = t[p];
      if (in_string) {
        if (c == '\\') ++p;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return p + 1;
      }
    }
    return kNone;
  }
  if (first == '"') {
    for (size_t p = begin + 1; p < t.size(); ++p) {
      if (t[p] == '\\') ++p;
      else if (t[p] == '"') return p + 1;
    }
    return kNone;
  }
  size_t p = begin;
  while (p < t.size() && !is_ws(t[p]) && t[p] != ',' && t[p] != ']' && t[p] != '}') ++p;
  return p;
}

// nlohmann's explanation without its own "parse error at line L, column C" (it counts bytes).
std::string error_detail(const char* what) {
  const std::string_view w(what);
  const size_t column = w.find(", column ");
  const size_t colon = column == std::string_view::npos ? w.find("] ") : w.find(": ", column);
  if (colon == std::string_view::npos) return std::string(w);
  return std::string(w.substr(colon + 2));
}

// The 0-based offset in `text` where parsing failed.
size_t error_offset(std::string_view text, const io::Json::exception& e) {
  const auto* pe = dynamic_cast<const io::Json::parse_error*>(&e);
  return std::min<size_t>(pe && pe->byte ? pe->byte - 1 : 0, text.size());
}

// Reads the rows of one text; the state shared by the three layouts.
class RowReader {
 public:
  RowReader(std::string_view text, const std::string& label, const JsonRowCallback& on_row,
            std::vector<Problem>& problems, size_t limit, bool partial)
      : m_text(text), m_label(label), m_on_row(on_row), m_problems(problems), m_limit(limit),
        m_partial(partial), m_utf8_ok(text::utf8::is_valid(text)) {}

  int64_t read(bool jsonl) {
    const size_t start = m_text.starts_with(kBom) ? kBom.size() : 0;
    const size_t p = skip_ws(m_text, start);
    if (p == m_text.size()) {
      if (!jsonl && !m_partial)
        m_problems.push_back(bad_json_problem(m_label, -1, "the file is empty, not JSON", 1, 1));
      return 0;
    }
    if (m_text[p] == '[') return read_list(p);
    if (jsonl || looks_like_lines(p)) return read_lines(start);
    return read_single(start);
  }

 private:
  // A file whose first line is a whole JSON object and which goes on after it.
  bool looks_like_lines(size_t p) const {
    const size_t nl = m_text.find('\n', p);
    if (nl == std::string_view::npos || skip_ws(m_text, nl) == m_text.size()) return false;
    const std::string_view first = m_text.substr(p, nl - p);
    return io::Json::accept(first.begin(), first.end()) && first.front() == '{';
  }

  // [row, row, ...]: a row that is not JSON ends the file (the rows after it cannot be found
  // reliably); the rows before it are kept.
  int64_t read_list(size_t p) {
    Cursor cursor(m_text);
    p = skip_ws(m_text, p + 1);
    if (p < m_text.size() && m_text[p] == ']') return after_list(p, 0, cursor);
    for (int64_t row = 0;; ++row) {
      if (m_delivered >= m_limit) return row;
      if (p >= m_text.size()) {
        if (!m_partial) fail(row, p, cursor, "the list is not closed (a ']' is missing at the end)");
        return row;
      }
      size_t end = value_end(m_text, p);
      if (end == kNone) {
        if (m_partial) return row;
        end = m_text.size();
      }
      if (end == p) {
        fail(row, p, cursor, std::string("unexpected '") + m_text[p] + "' where a row should start");
        return row + 1;
      }
      const Position start = cursor.at(p);
      if (!emit(m_text.substr(p, end - p), start, row, /*fatal=*/true)) return row + 1;
      p = skip_ws(m_text, end);
      if (p < m_text.size() && m_text[p] == ',') {
        p = skip_ws(m_text, p + 1);
        continue;
      }
      if (p < m_text.size() && m_text[p] == ']') return after_list(p, row + 1, cursor);
      if (p >= m_text.size()) {
        if (!m_partial) fail(row + 1, p, cursor, "the list is not closed (a ']' is missing at the end)");
        return row + 1;
      }
      fail(row + 1, p, cursor, "expected ',' or ']' after row " + std::to_string(row));
      return row + 1;
    }
  }

  int64_t after_list(size_t close, int64_t rows, Cursor& cursor) {
    const size_t p = skip_ws(m_text, close + 1);
    if (p < m_text.size()) fail(-1, p, cursor, "unexpected text after the end of the list");
    return rows;
  }

  // JSON Lines: each non-blank line a row; a bad line costs only itself.
  int64_t read_lines(size_t p) {
    int64_t line = 1, row = 0;
    while (p < m_text.size() && m_delivered < m_limit) {
      const size_t nl = m_text.find('\n', p);
      if (nl == std::string_view::npos && m_partial) break;  // the last line may be cut short
      const size_t end = nl == std::string_view::npos ? m_text.size() : nl;
      std::string_view text = m_text.substr(p, end - p);
      if (text.ends_with('\r')) text.remove_suffix(1);
      if (skip_ws(text, 0) < text.size()) emit(text, Position{line, 1}, row++, /*fatal=*/false);
      p = end + 1;
      ++line;
    }
    return row;
  }

  // One JSON document holding one row.
  int64_t read_single(size_t start) {
    if (m_partial) return 0;  // needs the whole text
    emit(m_text.substr(start), Position{1, 1}, 0, /*fatal=*/false, /*whole_file=*/true);
    return 1;
  }

  // Parses and hands over one row; false when it is not JSON (reported against the row, or
  // against the file, row -1, when the row is the whole file). `fatal`: the rows after it are lost.
  bool emit(std::string_view raw, Position start, int64_t row, bool fatal, bool whole_file = false) {
    std::string repaired;
    bool bad_encoding = false;
    if (!m_utf8_ok && !text::utf8::is_valid(raw)) {  // only this row's bytes are replaced and marked
      repaired = text::utf8::from_bytes_lossy(raw);
      raw = repaired;
      bad_encoding = true;
      m_problems.push_back(bad_encoding_problem(m_label, row, start.line));
    }
    io::Json value;
    try {
      value = io::Json::parse(raw.begin(), raw.end());
    } catch (const io::Json::exception& e) {
      const Position at = advance(start, raw.substr(0, error_offset(raw, e)));
      std::string what = "not valid JSON at line " + std::to_string(at.line) + ", column " +
                         std::to_string(at.column) + ": " + error_detail(e.what());
      if (fatal) what += "; rows after it are not read";
      const std::string subject = whole_file ? std::string("the file") : "row " + std::to_string(row);
      m_problems.push_back(
          bad_json_problem(m_label, whole_file ? -1 : row, subject + " is " + what, at.line, at.column));
      return false;
    }
    if (!value.is_object()) {
      const std::string what = whole_file ? std::string("the file holds ") + json_type_phrase(value) +
                                                ", not rows (a list of objects, or one object per line)"
                                          : "row " + std::to_string(row) + " (line " + std::to_string(start.line) +
                                                ") is " + json_type_phrase(value) + ", not an object";
      m_problems.push_back(bad_json_problem(m_label, whole_file ? -1 : row, what, start.line, start.column));
      return true;
    }
    ++m_delivered;
    m_on_row(JsonRow{row, start.line, start.column, std::move(value), bad_encoding});
    return true;
  }

  void fail(int64_t row, size_t offset, Cursor& cursor, const std::string& what) {
    const Position at = cursor.at(offset);
    m_problems.push_back(bad_json_problem(m_label, row,
                                          "not valid JSON at line " + std::to_string(at.line) + ", column " +
                                              std::to_string(at.column) + ": " + what,
                                          at.line, at.column));
  }

  std::string_view m_text;
  const std::string& m_label;
  const JsonRowCallback& m_on_row;
  std::vector<Problem>& m_problems;
  size_t m_limit;
  bool m_partial;
  bool m_utf8_ok;
  size_t m_delivered = 0;
};

bool is_jsonl(const fs::path& path) { return ascii_lower(path.extension().string()) == ".jsonl"; }

}  // namespace

int64_t read_json_rows_text(std::string_view text, bool jsonl, const std::string& label,
                            const JsonRowCallback& on_row, std::vector<Problem>& problems) {
  RowReader reader(text, label, on_row, problems, kNone, /*partial=*/false);
  return reader.read(jsonl);
}

int64_t read_json_rows(const fs::path& path, const std::string& label, const JsonRowCallback& on_row,
                       std::vector<Problem>& problems) {
  const std::string bytes = read_file_bytes(path);
  return read_json_rows_text(bytes, is_jsonl(path), label, on_row, problems);
}

JsonErrorSite locate_json_error(std::string_view text, const io::Json::exception& error) {
  const Position at = advance(Position{}, text.substr(0, error_offset(text, error)));
  return JsonErrorSite{at.line, at.column, error_detail(error.what())};
}

std::optional<io::Json> read_json_document(const fs::path& path, const std::string& label,
                                           std::vector<Problem>& problems, bool* repaired) {
  std::string text = read_file_bytes(path);
  const bool bad = !text::utf8::is_valid(text);
  if (bad) text = text::utf8::from_bytes_lossy(text);
  if (repaired) *repaired = bad;
  try {
    return io::Json::parse(text.begin(), text.end());
  } catch (const io::Json::exception& e) {
    const JsonErrorSite at = locate_json_error(text, e);
    problems.push_back(bad_json_problem(label, -1,
                                        "the file is not valid JSON at line " + std::to_string(at.line) + ", column " +
                                            std::to_string(at.column) + ": " + at.detail,
                                        at.line, at.column));
    return std::nullopt;
  }
}

std::vector<io::Json> peek_json_rows(const fs::path& path, size_t limit, std::vector<Problem>* problems) {
  std::vector<io::Json> rows;
  std::vector<Problem> ignored;
  const JsonRowCallback keep = [&](JsonRow&& row) { rows.push_back(std::move(row.value)); };
  // The first MiB holds the first rows of any real file; a single document needs it all.
  constexpr std::streamsize kChunk = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open");
  std::string chunk(static_cast<size_t>(kChunk), '\0');
  in.read(chunk.data(), kChunk);
  chunk.resize(static_cast<size_t>(in.gcount()));
  const bool whole = in.eof();
  RowReader(chunk, path.string(), keep, ignored, limit, /*partial=*/!whole).read(is_jsonl(path));
  if (rows.empty() && !whole) {
    ignored.clear();
    const std::string bytes = read_file_bytes(path);
    RowReader(bytes, path.string(), keep, ignored, limit, /*partial=*/false).read(is_jsonl(path));
  }
  if (problems) problems->insert(problems->end(), ignored.begin(), ignored.end());
  return rows;
}

}  // namespace vltune::data
