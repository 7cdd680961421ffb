#include "core/data/readers/llamafactory_reader.h"

#include <algorithm>

#include "core/data/readers/alpaca_reader.h"
#include "core/data/readers/json_rows.h"
#include "core/data/readers/reader_common.h"
#include "core/data/readers/sharegpt_reader.h"
#include "core/error.h"
#include "core/text/utf8.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

using OrderedJson = nlohmann::ordered_json;  // datasets are read in the order the file lists them

constexpr const char* kInfoName = "dataset_info.json";

// Keys that put a dataset somewhere else than this folder (LLaMA-Factory's parser.py).
constexpr const char* kRemoteKeys[] = {"hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name"};

// Sets `field` from `object[key]` when present: a string, or null for "no such column".
void read_name(std::string& field, const OrderedJson& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return;
  if (it->is_null()) field.clear();
  else if (it->is_string()) field = it->get<std::string>();
  else throw FormatError(where + ": \"" + key + "\" should be a string, got " + it->dump());
}

// A ranking dataset's "chosen" and "rejected" columns. LLaMA-Factory needs them named; here the
// usual names are taken when "columns" leaves them out.
template <class Columns>
void read_ranking_columns(Columns& c, const OrderedJson* columns, const std::string& where) {
  c.chosen = "chosen";
  c.rejected = "rejected";
  if (!columns) return;
  read_name(c.chosen, *columns, "chosen", where);
  read_name(c.rejected, *columns, "rejected", where);
  if (c.chosen.empty() || c.rejected.empty())
    throw FormatError(where + ": a ranking dataset needs its \"chosen\" and \"rejected\" columns");
}

const OrderedJson* section(const OrderedJson& entry, const char* key, const std::string& where) {
  const auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return nullptr;
  if (!it->is_object()) throw FormatError(where + ": \"" + key + "\" should be an object, got " + it->dump());
  return &*it;
}

// The data files `file_name` stands for: itself, or the .json/.jsonl files of a folder (sorted;
// LLaMA-Factory reads every file of the folder). Files of other types are named in problems.
std::vector<fs::path> data_files(const fs::path& target, const std::string& name, Dataset& out, const fs::path& root) {
  std::vector<fs::path> candidates;
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    for (fs::directory_iterator it(target, ec), end; !ec && it != end; it.increment(ec))
      if (!it->path().filename().string().starts_with('.') && it->is_regular_file(ec)) candidates.push_back(it->path());
    std::sort(candidates.begin(), candidates.end());
  } else {
    candidates.push_back(target);
  }
  std::vector<fs::path> files;
  if (candidates.empty())
    out.problems.push_back(bad_json_problem(display_path(target, root), -1,
                                            "dataset \"" + name + "\": the folder holds no data files"));
  for (const fs::path& file : candidates) {
    const std::string extension = ascii_lower(file.extension().string());
    if (extension == ".json" || extension == ".jsonl") {
      files.push_back(file);
    } else {
      out.problems.push_back(bad_json_problem(
          display_path(file, root), -1,
          "dataset \"" + name +
              "\": " + (extension.empty() ? std::string("a file without extension") : extension + " files") +
              " are not read; convert it to .json or .jsonl (LLaMA-Factory's sharegpt or alpaca layout)"));
    }
  }
  return files;
}

// One dataset_info.json entry read into `out`; "" when it could not be (a problem says why),
// else its formatting ("sharegpt", "alpaca preference pairs", ...).
std::string read_entry(const std::string& name, const OrderedJson& entry, const fs::path& folder,
                       const ReadContext& context, Dataset& out, std::vector<std::string>& remote) {
  const std::string where = (folder / kInfoName).string() + ": \"" + name + "\"";
  if (!entry.is_object()) throw FormatError(where + " should be an object, got " + entry.dump());
  const auto problem = [&](const std::string& what) {
    out.problems.push_back(bad_json_problem(kInfoName, -1, "dataset \"" + name + "\" " + what));
    return std::string();
  };

  const auto file_name = entry.find("file_name");
  if (file_name == entry.end() || file_name->is_null()) {
    for (const char* key : kRemoteKeys)
      if (entry.contains(key)) {
        remote.push_back(name + " (" + key + ")");
        return {};
      }
    return problem("has no \"file_name\" (nor a hub URL): nothing to read");
  }
  if (!file_name->is_string())
    throw FormatError(where + ": \"file_name\" should be a string, got " + file_name->dump());

  std::string formatting = "alpaca";  // LLaMA-Factory's default
  read_name(formatting, entry, "formatting", where);
  if (formatting != "sharegpt" && formatting != "alpaca" && formatting != "openai")
    return problem("has formatting \"" + formatting + "\"; sharegpt, openai and alpaca are read");
  bool ranking = false;
  if (const auto it = entry.find("ranking"); it != entry.end() && !it->is_null()) {
    if (!it->is_boolean()) throw FormatError(where + ": \"ranking\" should be true or false, got " + it->dump());
    ranking = it->get<bool>();
  }
  if (ranking && formatting == "openai")
    return problem("is a ranking (preference) dataset in openai formatting; its pairs are read in sharegpt or alpaca formatting");

  const fs::path target = folder / file_name->get<std::string>();
  std::error_code ec;
  if (!fs::exists(target, ec))
    return problem("names \"" + file_name->get<std::string>() + "\", which is not in " + folder.string());

  const OrderedJson* columns = section(entry, "columns", where);
  const std::string columns_where = where + ": \"columns\"";
  // As LLaMA-Factory's DatasetAttr.join: a "columns" (or "tags") section replaces the defaults, so
  // what it leaves out is no column (no tag). Two exceptions where LLaMA-Factory would fail on
  // every row: the turns' list and keys keep their defaults, and "images" stays "images" (rows
  // that list images are read with them).
  if (formatting == "alpaca") {
    AlpacaColumns c;
    if (columns) {
      c.prompt.clear();
      c.query.clear();
      c.response.clear();
      read_name(c.prompt, *columns, "prompt", columns_where);
      read_name(c.query, *columns, "query", columns_where);
      read_name(c.response, *columns, "response", columns_where);
      read_name(c.history, *columns, "history", columns_where);
      read_name(c.system, *columns, "system", columns_where);
      read_name(c.images, *columns, "images", columns_where);
    }
    if (ranking) read_ranking_columns(c, columns, columns_where);
    for (const fs::path& file : data_files(target, name, out, context.root))
      read_alpaca_file(file, name, c, context, out);
    return ranking ? formatting + " preference pairs" : formatting;
  }
  SharegptColumns c;
  SharegptTags t;
  if (columns) {
    read_name(c.messages, *columns, "messages", columns_where);
    read_name(c.system, *columns, "system", columns_where);
    read_name(c.images, *columns, "images", columns_where);
  }
  if (const OrderedJson* tags = section(entry, "tags", where)) {
    const std::string tags_where = where + ": \"tags\"";
    t.user_tag.clear();
    t.assistant_tag.clear();
    t.observation_tag.clear();
    t.function_tag.clear();
    t.system_tag.clear();
    read_name(t.role_tag, *tags, "role_tag", tags_where);
    read_name(t.content_tag, *tags, "content_tag", tags_where);
    read_name(t.user_tag, *tags, "user_tag", tags_where);
    read_name(t.assistant_tag, *tags, "assistant_tag", tags_where);
    read_name(t.observation_tag, *tags, "observation_tag", tags_where);
    read_name(t.function_tag, *tags, "function_tag", tags_where);
    read_name(t.system_tag, *tags, "system_tag", tags_where);
  }
  if (ranking) read_ranking_columns(c, columns, columns_where);
  if (c.messages.empty()) return problem("has no \"messages\" column");
  for (const fs::path& file : data_files(target, name, out, context.root))
    read_sharegpt_file(file, name, c, t, context, out);
  return ranking ? formatting + " preference pairs" : formatting;
}

OrderedJson read_info(const fs::path& path) {
  std::string text = read_file_bytes(path);
  if (!text::utf8::is_valid(text)) text = text::utf8::from_bytes_lossy(text);
  try {
    return OrderedJson::parse(text.begin(), text.end());
  } catch (const io::Json::exception& e) {
    const JsonErrorSite at = locate_json_error(text, e);
    throw FormatError(path.string() + ": not valid JSON at line " + std::to_string(at.line) + ", column " +
                      std::to_string(at.column) + ": " + at.detail);
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

std::string read_llamafactory(const fs::path& folder, const OpenOptions& options, Dataset& out) {
  const fs::path info_path = folder / kInfoName;
  const OrderedJson info = read_info(info_path);
  if (!info.is_object())
    throw FormatError(info_path.string() + ": should be an object mapping dataset names to their files, got " +
                      std::string(info.type_name()));

  std::vector<std::string> names = options.datasets;
  std::vector<std::string> listed;
  for (const auto& [name, entry] : info.items()) listed.push_back(name);
  if (names.empty()) names = listed;
  for (const std::string& name : names)
    if (!info.contains(name))
      throw FormatError(info_path.string() + ": no dataset \"" + name + "\" (it names: " + join(listed) + ")");

  const ReadContext context{folder, options.media_dir, options.caption_prompt};
  std::vector<std::string> read, remote;
  const size_t problems_before = out.problems.size();
  for (const std::string& name : names) {
    const size_t files_before = out.files.size();
    const std::string formatting = read_entry(name, info.at(name), folder, context, out, remote);
    if (!formatting.empty() && out.files.size() > files_before) read.push_back(name + " (" + formatting + ")");
  }
  if (!remote.empty())
    out.problems.push_back(bad_json_problem(
        kInfoName, -1,
        std::to_string(remote.size()) + " dataset(s) are on a hub, which vltune does not download: " + join(remote) +
            "; download them and point \"file_name\" at the files"));
  if (read.empty()) {
    std::string why;
    for (size_t i = problems_before; i < out.problems.size(); ++i) why += " " + out.problems[i].message + ".";
    throw FormatError(info_path.string() + ": none of the datasets it names could be read." + why);
  }
  return "names " + std::to_string(listed.size()) + " dataset(s); read " + std::to_string(read.size()) + ": " +
         join(read);
}

}  // namespace vltune::data
