#include "core/data/readers/sharegpt_reader.h"

#include "core/data/readers/json_rows.h"
#include "core/data/readers/row_fields.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

// A tag left out of dataset_info.json's "tags" is "" and matches nothing.
std::string map_role(const std::string& tag, const SharegptTags& tags) {
  if (tag.empty()) return tag;
  if (tag == tags.user_tag) return "user";
  if (tag == tags.assistant_tag) return "assistant";
  if (tag == tags.system_tag) return "system";
  if (tag == tags.observation_tag) return "observation";
  if (tag == tags.function_tag) return "function";
  return tag;
}

Record convert(const RowSite& site, const std::string& dataset, const SharegptColumns& columns,
               const SharegptTags& tags) {
  const io::Json& row = site.row.value;
  Record record = start_record(site, dataset);
  if (!columns.images.empty()) record.images = image_list(site, row, columns.images);

  const auto messages = row.find(columns.messages);
  if (messages == row.end() || !messages->is_array()) {
    shape_problem(site, "\"" + columns.messages + "\" should be a list of turns, " +
                            (messages == row.end() ? std::string("but it is missing")
                                                   : std::string("not ") + json_type_phrase(*messages)));
    return record;
  }
  size_t first = 0;
  const io::Json* lead = messages->empty() ? nullptr : &messages->front();
  if (!tags.system_tag.empty() && lead && lead->is_object() &&
      lead->value(tags.role_tag, io::Json()) == tags.system_tag) {
    record.system = text_field(site, *lead, tags.content_tag, "turn 0");
    first = 1;
  } else if (!columns.system.empty()) {
    record.system = text_field(site, row, columns.system);
  }
  for (size_t i = first; i < messages->size(); ++i) {
    const io::Json& m = (*messages)[i];
    const std::string where = "turn " + std::to_string(i);
    if (!m.is_object()) {
      shape_problem(site,
                    where + " should be an object with \"" + tags.role_tag + "\" and \"" + tags.content_tag + "\"");
      continue;
    }
    const auto role = m.find(tags.role_tag);
    if (role == m.end() || !role->is_string()) {
      shape_problem(site, where + ": \"" + tags.role_tag + "\" should be the role, " +
                              (role == m.end() ? std::string("but it is missing")
                                               : std::string("not ") + json_type_phrase(*role)));
      continue;
    }
    if (!m.contains(tags.content_tag)) shape_problem(site, where + ": \"" + tags.content_tag + "\" is missing");
    record.turns.push_back(
        Turn{map_role(role->get<std::string>(), tags), text_field(site, m, tags.content_tag, where)});
  }
  // A leading turn written "system" when the tags name no system tag: still the system prompt
  // (LLaMA-Factory would drop the row), so it is not lost.
  if (!record.turns.empty() && record.turns.front().role == "system" && record.system.empty()) {
    record.system = std::move(record.turns.front().content);
    record.turns.erase(record.turns.begin());
  }
  return record;
}

}  // namespace

void read_sharegpt_file(const fs::path& path, const std::string& dataset, const SharegptColumns& columns,
                        const SharegptTags& tags, const ReadContext& context, Dataset& out) {
  const std::string file = display_path(path, context.root);
  const fs::path data_dir = path.parent_path();
  const int64_t rows = read_json_rows(
      path, file,
      [&](JsonRow&& row) {
        const RowSite site{context, file, data_dir, row, out.problems};
        out.records.push_back(convert(site, dataset, columns, tags));
      },
      out.problems);
  out.files.push_back(DataFile{dataset, path, "sharegpt", rows});
}

}  // namespace vltune::data
