#include "core/data/readers/sharegpt_reader.h"

#include <optional>

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

// One answer of a ranking row, `row[key]`: a turn object or a plain string (the assistant's).
// nullopt (and a problem) when it is missing or of another shape.
std::optional<Turn> ranked_answer(const RowSite& site, const io::Json& row, const std::string& key,
                                  const SharegptTags& tags) {
  const auto it = row.find(key);
  if (it == row.end() || it->is_null()) {
    shape_problem(site, "\"" + key + "\" is missing: a preference row needs a chosen and a rejected answer");
    return std::nullopt;
  }
  if (it->is_string()) return Turn{"assistant", text_field(site, row, key)};
  if (!it->is_object()) {
    shape_problem(site, "\"" + key + "\" should be one turn {\"" + tags.role_tag + "\": \"" + tags.assistant_tag +
                            "\", \"" + tags.content_tag + "\": ...}, not " + json_type_phrase(*it));
    return std::nullopt;
  }
  const auto role = it->find(tags.role_tag);
  Turn turn{"assistant", text_field(site, *it, tags.content_tag, "\"" + key + "\"")};
  if (role != it->end() && role->is_string()) turn.role = map_role(role->get<std::string>(), tags);
  if (turn.role != "assistant")
    shape_problem(site, "\"" + key + "\" should be the assistant's answer (role \"" + tags.assistant_tag + "\"), not \"" +
                            (role != it->end() && role->is_string() ? role->get<std::string>() : std::string()) + "\"");
  turn.role = "assistant";  // the problem above names it; the text is still the answer
  return turn;
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
  if (!columns.chosen.empty()) {
    const std::optional<Turn> chosen = ranked_answer(site, row, columns.chosen, tags);
    const std::optional<Turn> rejected = ranked_answer(site, row, columns.rejected, tags);
    record.turns.push_back(chosen.value_or(Turn{"assistant", ""}));
    record.rejected = rejected ? rejected->content : std::string();
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
  out.files.push_back(DataFile{dataset, path, "sharegpt", rows, !columns.chosen.empty()});
}

}  // namespace vltune::data
