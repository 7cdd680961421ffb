#pragma once
// Data files as rows of JSON, read leniently: a .json list, a single .json object, or JSON Lines
// (whatever the extension says, as Hugging Face `datasets` reads .json files that hold lines).
// A row that is not valid JSON costs only itself in JSON Lines; in a list it ends the file (what
// follows cannot be trusted) after the rows before it. Invalid UTF-8 costs only its row: the bad
// bytes become U+FFFD and the row is marked.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/io/json_file.h"

namespace vltune::data {

// One row of a data file, parsed.
struct JsonRow {
  int64_t row = 0;            // 0-based among the file's rows (blank lines are not rows)
  int64_t line = 0;           // 1-based line where the row starts
  int64_t column = 0;         // 1-based column (in characters) where it starts
  io::Json value;             // the row; always an object
  bool bad_encoding = false;  // invalid UTF-8 in the row was replaced by U+FFFD
};

using JsonRowCallback = std::function<void(JsonRow&& row)>;

// Reads `path` row by row, calling `on_row` for each row that is a JSON object. What cannot be
// read goes to `problems` with file = `label`: bad_json (line and column of the error; a row that
// is not an object) and bad_encoding. Returns the number of rows seen, unreadable ones included.
// Throws FileError when the file cannot be read; never for its contents.
int64_t read_json_rows(const std::filesystem::path& path, const std::string& label,
                       const JsonRowCallback& on_row, std::vector<Problem>& problems);

// The same over text already in memory (`jsonl`: the file is named .jsonl).
int64_t read_json_rows_text(std::string_view text, bool jsonl, const std::string& label,
                            const JsonRowCallback& on_row, std::vector<Problem>& problems);

// A whole file as one JSON document (COCO annotations). Invalid UTF-8 is replaced by U+FFFD
// (`*repaired` says whether any was); when the text is not JSON, a bad_json problem (row -1, line,
// column) and nullopt. Throws FileError when the file cannot be read.
std::optional<io::Json> read_json_document(const std::filesystem::path& path, const std::string& label,
                                           std::vector<Problem>& problems, bool* repaired = nullptr);

// Where a JSON parse error of `text` is, as an editor shows it (1-based line, column in
// characters), and nlohmann's explanation without its byte-based position.
struct JsonErrorSite {
  int64_t line = 1;    // 1-based
  int64_t column = 1;  // 1-based, in characters
  std::string detail;  // "syntax error while parsing object - unexpected '}'; ..."
};
JsonErrorSite locate_json_error(std::string_view text, const io::Json::exception& error);

// Up to `limit` of the first rows of `path` that are JSON objects, reading no more of the file
// than it takes (for format detection); what could not be read goes to `problems` when given.
// Throws FileError when the file cannot be read.
std::vector<io::Json> peek_json_rows(const std::filesystem::path& path, size_t limit,
                                     std::vector<Problem>* problems = nullptr);

}  // namespace vltune::data
