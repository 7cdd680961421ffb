#include "core/data/readers/caption_folder_reader.h"

#include <algorithm>
#include <unordered_map>

#include "core/data/readers/image_paths.h"
#include "core/error.h"
#include "core/text/conversation.h"
#include "core/text/utf8.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

// "a/b/cat.jpg" -> "a/b/cat": the key an image and its caption share.
std::string_view without_extension(std::string_view relative, size_t extension_size) {
  return relative.substr(0, relative.size() - extension_size);
}

}  // namespace

CaptionScan scan_caption_folder(const fs::path& root) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw FileError(root.string() + ": cannot list the folder (" + ec.message() + ")");
  const std::string prefix = root.generic_string();
  const size_t cut = prefix.ends_with('/') ? prefix.size() : prefix.size() + 1;

  std::vector<std::pair<std::string, size_t>> images;  // relative path, extension length
  std::unordered_map<std::string, std::string> captions;  // relative path without ".txt" -> with it
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw FileError(root.string() + ": cannot list the folder (" + ec.message() + ")");
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (name.starts_with('.')) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    const std::string extension = path.extension().string();
    const bool caption = ascii_lower(extension) == ".txt";
    if (!caption && !is_image_extension(extension)) continue;
    if (!it->is_regular_file(ec)) continue;  // the type comes with the listing: no stat per file
    std::string relative = path.generic_string().substr(cut);
    if (caption) captions.emplace(std::string(without_extension(relative, extension.size())), relative);
    else images.emplace_back(std::move(relative), extension.size());
  }

  CaptionScan scan;
  std::sort(images.begin(), images.end());
  for (auto& [image, extension_size] : images) {
    const auto caption = captions.find(std::string(without_extension(image, extension_size)));
    if (caption == captions.end()) {
      ++scan.uncaptioned;
      continue;
    }
    scan.pairs.push_back({std::move(image), caption->second});
  }
  return scan;
}

void read_caption_folder(const CaptionScan& scan, const ReadContext& context, Dataset& out) {
  const std::string user = std::string(text::kImageMarker) + context.caption_prompt;
  out.records.reserve(out.records.size() + scan.pairs.size());
  for (const auto& pair : scan.pairs) {
    Record record;
    record.file = pair.caption;
    record.row = 0;
    std::string caption;
    try {
      caption = read_file_bytes(context.root / pair.caption);
    } catch (const FileError& e) {  // one unreadable caption costs its sample, not the folder
      out.problems.push_back(
          Problem{pair.caption, 0, ProblemKind::empty_answer, std::string("no caption: ") + e.what()});
    }
    if (caption.starts_with("\xEF\xBB\xBF")) caption.erase(0, 3);  // a BOM from Windows editors
    if (!text::utf8::is_valid(caption)) {
      caption = text::utf8::from_bytes_lossy(caption);
      record.bad_encoding = true;
      out.problems.push_back(bad_encoding_problem(pair.caption, 0));
    }
    while (!caption.empty() && (caption.back() == '\n' || caption.back() == '\r')) caption.pop_back();
    ImageRef image;
    image.written = pair.image;
    image.path = context.root / pair.image;
    record.images.push_back(std::move(image));
    record.turns.push_back(Turn{"user", user});
    record.turns.push_back(Turn{"assistant", caption});
    record.caption = std::move(caption);
    out.records.push_back(std::move(record));
  }
  out.files.push_back(DataFile{"", context.root, "captions", static_cast<int64_t>(scan.pairs.size())});
  out.uncaptioned_images += scan.uncaptioned;
}

}  // namespace vltune::data
