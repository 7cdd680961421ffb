#include "core/data/readers/coco_captions_reader.h"

#include <algorithm>
#include <unordered_map>

#include "core/data/readers/image_paths.h"
#include "core/data/readers/json_rows.h"
#include "core/data/readers/row_fields.h"
#include "core/text/conversation.h"
#include "core/text/utf8.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// COCO ids are integers; some exports write them as strings.
std::optional<std::string> id_key(const io::Json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_string()) return v.get<std::string>();
  return std::nullopt;
}

int64_t size_field(const io::Json& image, const char* key) {
  const auto it = image.find(key);
  return it != image.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// The image file of `file_name`, tried where COCO layouts keep it.
ImageRef find_image(const std::string& file_name, const std::string& split, const ReadContext& context) {
  ImageRef ref;
  ref.written = file_name;
  if (unreadable_reference(file_name)) return ref;
  std::vector<fs::path> bases;
  if (!context.media_dir.empty()) bases.push_back(context.media_dir);
  if (!split.empty()) {
    bases.push_back(context.root / split);
    bases.push_back(context.root / "images" / split);
  }
  bases.push_back(context.root / "images");
  bases.push_back(context.root);
  std::error_code ec;
  for (const fs::path& base : bases) {
    fs::path candidate = (base / file_name).lexically_normal();
    if (fs::is_regular_file(candidate, ec)) {
      ref.path = std::move(candidate);
      break;
    }
  }
  return ref;
}

}  // namespace

bool is_coco_captions_name(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.starts_with("captions_") && ascii_lower(path.extension().string()) == ".json";
}

std::vector<fs::path> find_coco_caption_files(const fs::path& root) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(root / "annotations", ec), end; !ec && it != end; it.increment(ec))
    if (is_coco_captions_name(it->path()) && it->is_regular_file(ec)) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

void read_coco_captions_file(const fs::path& path, const ReadContext& context, Dataset& out) {
  const std::string file = display_path(path, context.root);
  bool repaired = false;
  const std::optional<io::Json> doc = read_json_document(path, file, out.problems, &repaired);
  DataFile data_file{"", path, "coco", 0};
  const auto list = [&](const char* key) -> const io::Json* {
    if (!doc || !doc->is_object()) return nullptr;
    const auto it = doc->find(key);
    return it != doc->end() && it->is_array() ? &*it : nullptr;
  };
  const io::Json* images = list("images");
  const io::Json* annotations = list("annotations");
  if (doc && (!images || !annotations)) {
    out.problems.push_back(bad_json_problem(
        file, -1, "not a COCO captions file: it needs an \"images\" list and an \"annotations\" list"));
  }
  if (!images || !annotations) {
    out.files.push_back(std::move(data_file));
    return;
  }

  // captions_train2017.json -> train2017
  const std::string split = path.stem().string().substr(std::string_view("captions_").size());
  struct Image {
    const io::Json* entry;
    std::optional<ImageRef> ref;  // resolved on first use: each image once however many captions
  };
  std::unordered_map<std::string, Image> by_id;
  for (const io::Json& image : *images)
    if (image.is_object())
      if (auto id = id_key(image.value("id", io::Json()))) by_id.emplace(*id, Image{&image, std::nullopt});

  const std::string user = std::string(text::kImageMarker) + context.caption_prompt;
  out.records.reserve(out.records.size() + annotations->size());
  for (size_t i = 0; i < annotations->size(); ++i) {
    const io::Json& a = (*annotations)[i];
    const JsonRow row{static_cast<int64_t>(i), 0, 0, io::Json(), false};
    const RowSite site{context, file, path.parent_path(), row, out.problems};
    if (!a.is_object()) {
      shape_problem(site, std::string("annotation should be an object, not ") + json_type_phrase(a));
      continue;
    }
    Record record = start_record(site, "");
    const std::string caption = trim(text_field(site, a, "caption", "annotation"));
    if (repaired && caption.find(text::utf8::kReplacementUtf8) != std::string::npos) {
      record.bad_encoding = true;
      out.problems.push_back(bad_encoding_problem(file, row.row));
    }
    const auto id = id_key(a.value("image_id", io::Json()));
    const auto image = id ? by_id.find(*id) : by_id.end();
    if (image == by_id.end()) {
      shape_problem(site, "\"image_id\" " + (id ? *id : std::string("(missing)")) + " is not in \"images\"");
      record.images.push_back(ImageRef{"image_id " + (id ? *id : std::string("?")), {}, 0, 0});
    } else {
      Image& im = image->second;
      if (!im.ref) {
        const auto name = im.entry->find("file_name");
        if (name != im.entry->end() && name->is_string()) {
          im.ref = find_image(name->get<std::string>(), split, context);
          im.ref->width = size_field(*im.entry, "width");
          im.ref->height = size_field(*im.entry, "height");
        } else {
          im.ref = ImageRef{"image " + *id + " (no \"file_name\")", {}, 0, 0};
        }
      }
      if (im.ref->path.empty() && im.ref->written.ends_with("(no \"file_name\")"))
        shape_problem(site, "image " + *id + " in \"images\" has no \"file_name\" string");
      record.images.push_back(*im.ref);
    }
    record.turns.push_back(Turn{"user", user});
    record.turns.push_back(Turn{"assistant", caption});
    record.caption = caption;
    out.records.push_back(std::move(record));
  }
  data_file.rows = static_cast<int64_t>(annotations->size());
  out.files.push_back(std::move(data_file));
}

}  // namespace vltune::data
