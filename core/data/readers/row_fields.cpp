#include "core/data/readers/row_fields.h"

#include "core/data/readers/image_paths.h"

namespace vltune::data {

namespace {

std::string key_phrase(std::string_view key, const std::string& where) {
  return (where.empty() ? std::string() : where + ": ") + "\"" + std::string(key) + "\"";
}

}  // namespace

Record start_record(const RowSite& site, const std::string& dataset) {
  Record r;
  r.file = site.file;
  r.row = site.row.row;
  r.dataset = dataset;
  r.bad_encoding = site.row.bad_encoding;
  return r;
}

void shape_problem(const RowSite& site, const std::string& what) {
  std::string where = "row " + std::to_string(site.row.row);
  if (site.row.line > 0) where += " (line " + std::to_string(site.row.line) + ")";
  site.problems.push_back(
      bad_json_problem(site.file, site.row.row, where + ": " + what, site.row.line, site.row.column));
}

std::string text_field(const RowSite& site, const io::Json& object, std::string_view key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  shape_problem(site, key_phrase(key, where) + " should be a string, not " + json_type_phrase(*it));
  return {};
}

ImageRef image_ref(const RowSite& site, std::string_view written, size_t index) {
  const auto why = unreadable_reference(written);
  if (!why) return resolve_image(written, site.context, site.data_dir);
  ImageRef ref;
  // A data: URL can be megabytes of base64: keep enough to recognise it.
  constexpr size_t kShown = 48;
  ref.written = written.size() > kShown ? std::string(written.substr(0, kShown)) + "..." : std::string(written);
  site.problems.push_back(Problem{site.file, site.row.row, ProblemKind::missing_image,
                                  "image " + std::to_string(index) + " \"" + ref.written + "\" " + *why});
  return ref;
}

std::vector<ImageRef> image_list(const RowSite& site, const io::Json& object, std::string_view key) {
  std::vector<ImageRef> out;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (it->is_string()) {  // one image written without a list (LLaMA-Factory accepts it)
    out.push_back(image_ref(site, it->get_ref<const std::string&>(), 0));
    return out;
  }
  if (!it->is_array()) {
    shape_problem(site, key_phrase(key, "") + " should be a list of image paths, not " + json_type_phrase(*it));
    return out;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const io::Json& v = (*it)[i];
    if (v.is_string()) {
      out.push_back(image_ref(site, v.get_ref<const std::string&>(), i));
    } else {
      shape_problem(site, "\"" + std::string(key) + "\"[" + std::to_string(i) + "] should be an image path, not " +
                              json_type_phrase(v));
      out.push_back(ImageRef{v.dump(), {}, 0, 0});  // kept so the markers still line up
    }
  }
  return out;
}

}  // namespace vltune::data
