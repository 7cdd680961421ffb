#pragma once
// Reading the fields of one JSON row into a Record leniently: a field of the wrong type becomes a
// bad_json problem naming the key (and the row keeps what could be read), never an exception.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/readers/json_rows.h"
#include "core/data/readers/reader_common.h"

namespace vltune::data {

// One row being read: where it is and where its problems go.
struct RowSite {
  const ReadContext& context;             // the dataset's folders and options
  const std::string& file;                // the data file as Record::file shows it
  const std::filesystem::path& data_dir;  // the data file's folder (image paths, last resort)
  const JsonRow& row;                     // the row
  std::vector<Problem>& problems;         // where its problems go
};

// A Record for the row: file, row, dataset name and bad_encoding filled.
Record start_record(const RowSite& site, const std::string& dataset);

// Reports that the row is not of the expected shape: "row N (line L): <what>" (bad_json).
void shape_problem(const RowSite& site, const std::string& what);

// The text of `object[key]`: "" when absent or null; a problem (and "") when not a string.
// `where` names the object in the problem ("turn 2", "" for the row itself).
std::string text_field(const RowSite& site, const io::Json& object, std::string_view key,
                       const std::string& where = "");

// The images `row[key]` names: a path or a list of paths, each resolved; a problem for entries
// that are not strings; a missing_image problem for URLs that are never read (data:, http).
std::vector<ImageRef> image_list(const RowSite& site, const io::Json& object, std::string_view key);

// One image reference resolved; `index` (0-based) names it in a problem for a URL never read.
ImageRef image_ref(const RowSite& site, std::string_view written, size_t index);

}  // namespace vltune::data
