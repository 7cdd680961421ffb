#include "core/data/readers/reader_common.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace vltune::data {

namespace fs = std::filesystem;

std::string display_path(const fs::path& path, const fs::path& root) {
  if (root.empty()) return path.generic_string();
  const fs::path rel = path.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return path.generic_string();
  return rel.generic_string();
}

Problem bad_json_problem(std::string file, int64_t row, std::string message, int64_t line, int64_t column) {
  return Problem{std::move(file), row, ProblemKind::bad_json, std::move(message), line, column};
}

Problem bad_encoding_problem(std::string file, int64_t row, int64_t line) {
  std::string where = row >= 0 ? "row " + std::to_string(row) : std::string("the file");
  if (line > 0) where += " (line " + std::to_string(line) + ")";
  return Problem{std::move(file), row, ProblemKind::bad_encoding,
                 where + " has text that is not valid UTF-8 (shown as U+FFFD); save the file as UTF-8"};
}

std::string read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw FileError(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  const std::streamoff size = in.tellg();
  std::string bytes(static_cast<size_t>(std::max<std::streamoff>(size, 0)), '\0');
  in.seekg(0);
  if (!bytes.empty() && !in.read(bytes.data(), size)) throw FileError(path.string() + ": cannot read");
  return bytes;
}

const char* json_type_phrase(const io::Json& value) {
  switch (value.type()) {
    case io::Json::value_t::object: return "an object";
    case io::Json::value_t::array: return "a list";
    case io::Json::value_t::string: return "a string";
    case io::Json::value_t::boolean: return "a boolean";
    case io::Json::value_t::null: return "null";
    default: return "a number";
  }
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace vltune::data
