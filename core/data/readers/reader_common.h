#pragma once
// What every dataset reader shares: where the dataset is, how files are named in records and
// problems, and the problems a reader itself reports.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/data/dataset.h"
#include "core/io/json_file.h"

namespace vltune::data {

// Where a reader reads and with which options.
struct ReadContext {
  std::filesystem::path root;       // the dataset folder; Record::file and Problem::file are relative to it
  std::filesystem::path media_dir;  // OpenOptions::media_dir: relative image paths are looked up here first
  std::string caption_prompt;       // OpenOptions::caption_prompt: the user turn's text after `<image>`
};

// `path` as records and problems show it: relative to `root` with '/' separators, or the
// absolute path when it lies outside `root`.
std::string display_path(const std::filesystem::path& path, const std::filesystem::path& root);

// A bad_json problem: `file` and `row` as in Problem; line/column 0 when not applicable.
Problem bad_json_problem(std::string file, int64_t row, std::string message, int64_t line = 0,
                         int64_t column = 0);

// The bad_encoding problem of a row whose text had invalid UTF-8 (replaced by U+FFFD).
Problem bad_encoding_problem(std::string file, int64_t row, int64_t line = 0);

// The whole file. Throws FileError naming it when it cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

// "an object", "a list", "a string", "a number", "a boolean", "null": for problem messages.
const char* json_type_phrase(const io::Json& value);

// `text` lowercased (ASCII letters only): file extensions, tags.
std::string ascii_lower(std::string_view text);

}  // namespace vltune::data
