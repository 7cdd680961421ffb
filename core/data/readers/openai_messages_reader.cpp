#include "core/data/readers/openai_messages_reader.h"

#include "core/data/readers/json_rows.h"
#include "core/data/readers/row_fields.h"
#include "core/text/conversation.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

// Where an image part writes its file, when it does ("" = the next of the row's "images").
std::string image_part_reference(const io::Json& part) {
  for (const char* key : {"image_url", "image", "url", "path"}) {
    const auto it = part.find(key);
    if (it == part.end()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object()) {
      const auto url = it->find("url");
      if (url != it->end() && url->is_string()) return url->get<std::string>();
    }
  }
  return {};
}

// The text of one message's content, images as markers; their references go to `images`.
std::string read_content(const RowSite& site, const io::Json& content, const std::string& where,
                         std::vector<ImageRef>& images) {
  if (content.is_null()) return {};  // an assistant turn that only calls tools
  if (content.is_string()) return content.get<std::string>();
  const io::Json parts = content.is_object() ? io::Json::array({content}) : content;
  if (!parts.is_array()) {
    shape_problem(site, where + ": \"content\" should be text or a list of parts, not " + json_type_phrase(content));
    return {};
  }
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    const io::Json& part = parts[i];
    const std::string part_where = where + " part " + std::to_string(i);
    if (part.is_string()) {
      text += part.get<std::string>();
      continue;
    }
    if (!part.is_object()) {
      shape_problem(site, part_where + " should be an object with \"type\", not " + json_type_phrase(part));
      continue;
    }
    const std::string type = part.value("type", std::string(part.contains("text") ? "text" : ""));
    if (type == "text" || type == "input_text" || type == "output_text") {
      text += text_field(site, part, "text", part_where);
    } else if (type == "image_url" || type == "image" || type == "input_image") {
      text += text::kImageMarker;
      if (std::string ref = image_part_reference(part); !ref.empty())
        images.push_back(image_ref(site, ref, images.size()));
    } else {
      shape_problem(site, part_where + " has type \"" + type + "\", which is not read (text and images are)");
    }
  }
  return text;
}

Record convert(const RowSite& site) {
  const io::Json& row = site.row.value;
  Record record = start_record(site, "");
  const auto messages = row.find("messages");
  if (messages == row.end() || !messages->is_array()) {
    shape_problem(
        site, std::string("\"messages\" should be a list of messages, ") +
                  (messages == row.end() ? "but it is missing" : std::string("not ") + json_type_phrase(*messages)));
  } else {
    for (size_t i = 0; i < messages->size(); ++i) {
      const io::Json& m = (*messages)[i];
      const std::string where = "message " + std::to_string(i);
      if (!m.is_object()) {
        shape_problem(site, where + " should be an object with \"role\" and \"content\"");
        continue;
      }
      const auto role = m.find("role");
      if (role == m.end() || !role->is_string()) {
        shape_problem(site, where + ": \"role\" should be a string, " +
                                (role == m.end() ? std::string("but it is missing")
                                                 : std::string("not ") + json_type_phrase(*role)));
        continue;
      }
      std::vector<ImageRef> part_images;
      const auto content = m.find("content");
      std::string text = content == m.end() ? std::string() : read_content(site, *content, where, part_images);
      if (i == 0 && *role == "system") {
        if (!part_images.empty() || text::count_markers(text) > 0)
          shape_problem(site, "the system message holds an image; images belong in user turns");
        record.system = std::move(text);
        continue;
      }
      record.turns.push_back(Turn{role->get<std::string>(), std::move(text)});
      for (ImageRef& ref : part_images) record.images.push_back(std::move(ref));
    }
  }
  if (record.system.empty()) record.system = text_field(site, row, "system");
  for (ImageRef& ref : image_list(site, row, "images")) record.images.push_back(std::move(ref));
  return record;
}

}  // namespace

void read_openai_messages_file(const fs::path& path, const ReadContext& context, Dataset& out) {
  const std::string file = display_path(path, context.root);
  const fs::path data_dir = path.parent_path();
  const int64_t rows = read_json_rows(
      path, file,
      [&](JsonRow&& row) {
        const RowSite site{context, file, data_dir, row, out.problems};
        out.records.push_back(convert(site));
      },
      out.problems);
  out.files.push_back(DataFile{"", path, "openai_messages", rows});
}

}  // namespace vltune::data
