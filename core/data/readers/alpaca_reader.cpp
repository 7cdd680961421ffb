#include "core/data/readers/alpaca_reader.h"

#include "core/data/readers/json_rows.h"
#include "core/data/readers/row_fields.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

// history: [[prompt, response], ...] -> user and assistant turns.
void read_history(const RowSite& site, const std::string& key, Record& record) {
  const io::Json& row = site.row.value;
  const auto history = row.find(key);
  if (history == row.end() || history->is_null()) return;
  if (!history->is_array()) {
    shape_problem(site,
                  "\"" + key + "\" should be a list of [prompt, response] pairs, not " + json_type_phrase(*history));
    return;
  }
  for (size_t i = 0; i < history->size(); ++i) {
    const io::Json& pair = (*history)[i];
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      shape_problem(site, "\"" + key + "\"[" + std::to_string(i) + "] should be a [prompt, response] pair of strings");
      continue;
    }
    record.turns.push_back(Turn{"user", pair[0].get<std::string>()});
    record.turns.push_back(Turn{"assistant", pair[1].get<std::string>()});
  }
}

Record convert(const RowSite& site, const std::string& dataset, const AlpacaColumns& columns) {
  const io::Json& row = site.row.value;
  Record record = start_record(site, dataset);
  if (!columns.history.empty()) read_history(site, columns.history, record);

  std::string prompt;
  for (const std::string* key : {&columns.prompt, &columns.query}) {
    if (key->empty()) continue;
    const std::string part = text_field(site, row, *key);
    if (part.empty()) continue;  // LLaMA-Factory joins only the parts that are there
    if (!prompt.empty()) prompt += '\n';
    prompt += part;
  }
  record.turns.push_back(Turn{"user", std::move(prompt)});

  if (!columns.chosen.empty()) {
    for (const std::string* key : {&columns.chosen, &columns.rejected}) {
      const auto it = row.find(*key);
      if (it == row.end() || it->is_null())  // text_field names the other wrong shapes
        shape_problem(site, "\"" + *key + "\" is missing: a preference row needs a chosen and a rejected answer");
    }
    record.turns.push_back(Turn{"assistant", text_field(site, row, columns.chosen)});
    record.rejected = text_field(site, row, columns.rejected);
  } else if (!columns.response.empty()) {
    const auto response = row.find(columns.response);
    if (response != row.end() && response->is_string()) {
      record.turns.push_back(Turn{"assistant", response->get<std::string>()});
    } else if (response != row.end() && !response->is_null()) {
      shape_problem(site, "\"" + columns.response + "\" should be the answer text, not " + json_type_phrase(*response));
    }
  }
  if (!columns.system.empty()) record.system = text_field(site, row, columns.system);
  if (!columns.images.empty()) record.images = image_list(site, row, columns.images);
  if (record.rejected && !record.images.empty()) {
    size_t markers = 0;
    for (const Turn& t : record.turns) markers += text::count_markers(t.content);
    if (markers == 0) {
      std::string lead;
      for (size_t i = 0; i < record.images.size(); ++i) lead += text::kImageMarker;
      Turn& question = record.turns[record.turns.size() - 2];  // the user turn before the chosen answer
      question.content = lead + question.content;
    }
  }
  return record;
}

}  // namespace

void read_alpaca_file(const fs::path& path, const std::string& dataset, const AlpacaColumns& columns,
                      const ReadContext& context, Dataset& out) {
  const std::string file = display_path(path, context.root);
  const fs::path data_dir = path.parent_path();
  const int64_t rows = read_json_rows(
      path, file,
      [&](JsonRow&& row) {
        const RowSite site{context, file, data_dir, row, out.problems};
        out.records.push_back(convert(site, dataset, columns));
      },
      out.problems);
  out.files.push_back(DataFile{dataset, path, "alpaca", rows, !columns.chosen.empty()});
}

}  // namespace vltune::data
