#include "core/io/json_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace vltune::io {

namespace fs = std::filesystem;

Json read_json_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_json(buffer.str(), path.string());
}

Json parse_json(std::string_view text, const std::string& label) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.byte is 1-based; turn it into line:column so the user can find it in an editor.
    size_t line = 1, column = 1;
    const size_t limit = std::min<size_t>(e.byte ? e.byte - 1 : 0, text.size());
    for (size_t i = 0; i < limit; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw FormatError(label + ": not valid JSON at line " + std::to_string(line) + ", column " +
                      std::to_string(column) + " (" + e.what() + ")");
  }
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

void write_json_file_atomic(const fs::path& path, const Json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

void throw_missing_key(std::string_view key, const std::string& where) {
  throw FormatError(where + ": required key \"" + std::string(key) + "\" is missing");
}

void throw_bad_value(std::string_view key, const std::string& where, const std::string& what) {
  throw FormatError(where + ": key \"" + std::string(key) + "\" " + what);
}

void read_nullable_id(std::optional<int64_t>& field, const Json& object, std::string_view key,
                      const std::string& where) {
  if (!object.is_object()) return;
  auto it = object.find(key);
  if (it == object.end()) return;
  if (it->is_null()) {
    field.reset();
    return;
  }
  field = detail::JsonReader<int64_t>::read(*it, key, where);
}

void read_token_ids(std::vector<int64_t>& field, const Json& object, std::string_view key,
                    const std::string& where) {
  if (!object.is_object()) return;
  auto it = object.find(key);
  if (it == object.end()) return;
  if (it->is_null()) {
    field.clear();
  } else if (it->is_array()) {
    field = detail::JsonReader<std::vector<int64_t>>::read(*it, key, where);
  } else if (it->is_number()) {
    field = {detail::JsonReader<int64_t>::read(*it, key, where)};
  } else {
    throw_wrong_type(key, where, "an integer or a list of integers", *it);
  }
}

void throw_wrong_type(std::string_view key, const std::string& where, const char* expected,
                      const Json& got) {
  std::string shown = got.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw FormatError(where + ": key \"" + std::string(key) + "\" should be " + expected +
                    ", got " + shown);
}

}  // namespace vltune::io
