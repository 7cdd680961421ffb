#include "core/data/readers/format_detection.h"

#include <algorithm>

#include "core/data/readers/coco_captions_reader.h"
#include "core/data/readers/image_paths.h"
#include "core/data/readers/json_rows.h"
#include "core/error.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

constexpr size_t kPeekRows = 8;             // rows looked at to tell a file's format
constexpr size_t kMaxLooseDataFiles = 8;    // more .json files than this at the top: not "one data file"

const char* kLookedFor =
    "looked for dataset_info.json (LLaMA-Factory), annotations/captions_*.json (COCO captions), one .json/.jsonl "
    "file of sharegpt (\"conversations\"), alpaca (\"instruction\"/\"output\"), OpenAI (\"messages\") or "
    "preference (\"chosen\"/\"rejected\") rows, "
    "and images with same-named .txt captions";

bool is_data_extension(const fs::path& path) {
  const std::string extension = ascii_lower(path.extension().string());
  return extension == ".json" || extension == ".jsonl";
}

// Whether `messages` is a list whose first turn is {"role", "content"}.
bool role_content_turns(const io::Json& messages) {
  return messages.is_array() && !messages.empty() && messages.front().is_object() &&
         messages.front().contains("role") && messages.front().contains("content");
}

// A data file's format from one row, with the evidence.
std::optional<DatasetFormat> classify_row(const io::Json& row, std::string& evidence) {
  if (row.contains("chosen") && row.contains("rejected")) {  // preference pairs
    for (const char* turns : {"conversations", "messages"})
      if (const auto t = row.find(turns); t != row.end() && t->is_array()) {
        evidence = std::string("has \"") + turns + "\" with \"chosen\"/\"rejected\" answers (preference pairs)";
        return DatasetFormat::sharegpt;
      }
    evidence = "has \"chosen\"/\"rejected\" answers (preference pairs)";
    return DatasetFormat::alpaca;
  }
  if (const auto m = row.find("messages"); m != row.end() && m->is_array()) {
    if (role_content_turns(*m) || m->empty()) {
      evidence = "has \"messages\" with role/content";
      return DatasetFormat::openai_messages;
    }
    evidence = "has \"messages\" with from/value turns";
    return DatasetFormat::sharegpt;
  }
  if (const auto c = row.find("conversations"); c != row.end() && c->is_array()) {
    evidence = "has \"conversations\"";
    return DatasetFormat::sharegpt;
  }
  if (row.contains("instruction") || row.contains("output")) {
    evidence = std::string("has ") + (row.contains("instruction") ? "\"instruction\"" : "\"output\"");
    return DatasetFormat::alpaca;
  }
  if (row.contains("annotations") && row.contains("images")) {
    evidence = "has \"images\" and \"annotations\" (COCO)";
    return DatasetFormat::coco_captions;
  }
  return std::nullopt;
}

std::string key_list(const io::Json& row) {
  std::string keys;
  size_t n = 0;
  for (const auto& [key, value] : row.items()) {
    if (++n > 8) {
      keys += ", ...";
      break;
    }
    keys += (keys.empty() ? "" : ", ") + ("\"" + key + "\"");
  }
  return keys.empty() ? "no keys" : "keys " + keys;
}

// A data file's format from its first rows; `evidence` says why, or what was found instead, and
// `row` is the row that told.
std::optional<DatasetFormat> detect_file(const fs::path& file, std::string& evidence, io::Json& row) {
  if (is_coco_captions_name(file)) {
    evidence = "is named like a COCO captions file";
    return DatasetFormat::coco_captions;
  }
  std::vector<Problem> problems;
  const std::vector<io::Json> rows = peek_json_rows(file, kPeekRows, &problems);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (auto format = classify_row(rows[i], evidence)) {
      evidence = (i == 0 ? "its first row " : "its row " + std::to_string(i) + " ") + evidence;
      row = rows[i];
      return format;
    }
  }
  if (!rows.empty()) evidence = "its first row has " + key_list(rows.front());
  else if (!problems.empty()) evidence = problems.front().message;
  else evidence = "it holds no rows";
  return std::nullopt;
}

fs::path coco_root_of(const fs::path& file) {
  const fs::path parent = file.parent_path();
  return parent.filename() == "annotations" ? parent.parent_path() : parent;
}

Detection from_file(const fs::path& file, std::optional<DatasetFormat> forced) {
  if (file.filename() == "dataset_info.json") {
    if (forced && *forced != DatasetFormat::llamafactory)
      throw FormatError(file.string() + ": dataset_info.json is LLaMA-Factory's index; it cannot be read as " +
                        std::string(format_name(*forced)));
    return {DatasetFormat::llamafactory, file.parent_path(), {}, "dataset_info.json", std::nullopt, {}};
  }
  if (!is_data_extension(file)) {
    const std::string what =
        is_image_extension(file.extension().string()) || ascii_lower(file.extension().string()) == ".txt"
            ? "is one image or caption, not a dataset: give its folder"
            : "is not a .json or .jsonl data file";
    throw FormatError(file.string() + ": " + what + " (" + kLookedFor + ")");
  }
  std::string evidence;
  io::Json row;
  const std::optional<DatasetFormat> found = detect_file(file, evidence, row);
  const std::optional<DatasetFormat> format = forced ? forced : found;
  if (!format)
    throw FormatError(file.string() + ": not a data file vltune reads: " + evidence + " (" + kLookedFor + ")");
  if (*format == DatasetFormat::image_captions || *format == DatasetFormat::llamafactory)
    throw FormatError(file.string() + ": " + std::string(format_name(*format)) + " reads a folder, not a file");
  const fs::path root = *format == DatasetFormat::coco_captions ? coco_root_of(file) : file.parent_path();
  const std::string because = forced ? "the format was given as " + std::string(format_name(*forced))
                                     : file.filename().string() + ": " + evidence;
  return {*format, root, file, because, std::nullopt, std::move(row)};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : "; ") + item;
  return out;
}

std::string describe_pairs(const CaptionScan& scan) {
  std::string s = "found " + std::to_string(scan.pairs.size()) + " image(s) with same-named .txt captions (e.g. " +
                  scan.pairs.front().image + " + " + scan.pairs.front().caption + ")";
  if (scan.uncaptioned > 0) s += " and " + std::to_string(scan.uncaptioned) + " image(s) without one";
  return s;
}

Detection from_folder(const fs::path& folder, std::optional<DatasetFormat> forced) {
  const auto want = [&](DatasetFormat f) { return !forced || *forced == f; };
  std::error_code ec;
  if (want(DatasetFormat::llamafactory) && fs::is_regular_file(folder / "dataset_info.json", ec))
    return {DatasetFormat::llamafactory, folder, {}, "dataset_info.json", std::nullopt, {}};
  if (want(DatasetFormat::coco_captions)) {
    const std::vector<fs::path> coco = find_coco_caption_files(folder);
    if (!coco.empty()) {
      std::string because = "annotations/" + coco.front().filename().string();
      if (coco.size() > 1) because += " and " + std::to_string(coco.size() - 1) + " more captions_*.json";
      return {DatasetFormat::coco_captions, folder, {}, because + " in COCO's captions layout", std::nullopt, {}};
    }
  }

  // One loose data file at the top of the folder.
  std::vector<fs::path> loose;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (is_data_extension(p) && p.filename() != "dataset_info.json" && !p.filename().string().starts_with('.') &&
        it->is_regular_file(ec))
      loose.push_back(p);
  }
  if (ec) throw FileError(folder.string() + ": cannot list the folder (" + ec.message() + ")");
  std::sort(loose.begin(), loose.end());
  std::vector<std::string> unrecognised;
  if (loose.size() <= kMaxLooseDataFiles) {
    struct Found {
      fs::path file;
      DatasetFormat format;
      std::string evidence;
      io::Json row;
    };
    std::vector<Found> recognised;
    for (const fs::path& file : loose) {
      std::string evidence;
      io::Json row;
      const auto format = detect_file(file, evidence, row);
      if (format && want(*format) && *format != DatasetFormat::coco_captions)
        recognised.push_back({file, *format, evidence, std::move(row)});
      else
        unrecognised.push_back(file.filename().string() + " (" + evidence + ")");
    }
    if (recognised.size() == 1) {
      Found& found = recognised.front();
      std::string because = "the folder holds one data file, " + found.file.filename().string() + ": " + found.evidence;
      if (!unrecognised.empty()) because += " (the other .json files are not data: " + join(unrecognised) + ")";
      return {found.format, folder, found.file, because, std::nullopt, std::move(found.row)};
    }
    if (recognised.size() > 1 && (!forced || *forced != DatasetFormat::image_captions)) {
      std::string names;
      for (const Found& found : recognised)
        names += (names.empty() ? "" : ", ") + found.file.filename().string() + " (" +
                 std::string(format_name(found.format)) + ")";
      throw FormatError(folder.string() + ": holds " + std::to_string(recognised.size()) + " data files (" + names +
                        "); give one of them, or a dataset_info.json that names them");
    }
  }

  if (want(DatasetFormat::image_captions)) {
    CaptionScan scan = scan_caption_folder(folder);
    if (!scan.pairs.empty()) {
      std::string because = describe_pairs(scan);
      return {DatasetFormat::image_captions, folder, {}, because, std::move(scan), {}};
    }
    if (forced) {
      throw FormatError(folder.string() + ": no image has a same-named .txt caption (" +
                        std::to_string(scan.uncaptioned) + " image(s) without one)");
    }
  }
  std::string found;
  if (!unrecognised.empty()) {
    found = " Found: " + join(unrecognised) + ".";
  } else if (loose.size() > kMaxLooseDataFiles) {
    found = " Found " + std::to_string(loose.size()) + " .json/.jsonl files: give the one to read.";
  }
  const std::string what = forced ? "nothing here reads as " + std::string(format_name(*forced)) : "no dataset found";
  throw FormatError(folder.string() + ": " + what + " (" + kLookedFor + ")." + found);
}

}  // namespace

Detection detect_format(const fs::path& path, std::optional<DatasetFormat> forced) {
  std::error_code ec;
  Detection d = fs::is_directory(path, ec) ? from_folder(path, forced) : from_file(path, forced);
  if (forced && d.because.find("given") == std::string::npos)
    d.because = "the format was given as " + std::string(format_name(*forced)) + "; " + d.because;
  return d;
}

std::pair<SharegptColumns, SharegptTags> bare_sharegpt_layout(const io::Json& first_row) {
  SharegptColumns columns;
  SharegptTags tags;
  columns.system = "system";
  if (!first_row.contains("conversations") && first_row.contains("messages")) columns.messages = "messages";
  const auto turns = first_row.find(columns.messages);
  if (turns != first_row.end() && role_content_turns(*turns) && !turns->front().contains("from")) {
    tags.role_tag = "role";
    tags.content_tag = "content";
    tags.user_tag = "user";
    tags.assistant_tag = "assistant";
  }
  if (first_row.contains("chosen") && first_row.contains("rejected")) {
    columns.chosen = "chosen";
    columns.rejected = "rejected";
  }
  return {columns, tags};
}

AlpacaColumns bare_alpaca_columns(const io::Json& first_row) {
  AlpacaColumns columns;
  columns.history = "history";
  columns.system = "system";
  if (first_row.contains("chosen") && first_row.contains("rejected")) {
    columns.chosen = "chosen";
    columns.rejected = "rejected";
    if (!first_row.contains("instruction"))  // RLAIF-V's "question", TRL's "prompt"
      for (const char* key : {"question", "prompt"})
        if (first_row.contains(key)) {
          columns.prompt = key;
          break;
        }
    if (!first_row.contains("images") && first_row.contains("image")) columns.images = "image";  // RLAIF-V
  }
  return columns;
}

}  // namespace vltune::data
