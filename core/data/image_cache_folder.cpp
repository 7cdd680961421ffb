#include "core/data/image_cache_folder.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".safetensors";

struct Listed {
  fs::path path;
  int64_t bytes = 0;
};

// The entries in `dir` (none when it does not exist); FileError when it cannot be listed.
std::vector<Listed> list_entries(const fs::path& dir) {
  std::vector<Listed> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  if (!fs::is_directory(dir, ec)) throw FileError(dir.string() + ": the image cache is not a folder");
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!is_image_cache_entry(it->path())) continue;
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    const uintmax_t size = it->file_size(file_ec);
    out.push_back({it->path(), file_ec ? 0 : static_cast<int64_t>(size)});
  }
  if (ec) throw FileError(dir.string() + ": cannot list the image cache folder (" + ec.message() + ")");
  return out;
}

}  // namespace

bool is_image_cache_entry(const fs::path& file) {
  const std::string name = file.filename().string();
  if (name.size() != 64 + kSuffix.size() || name.compare(64, kSuffix.size(), kSuffix) != 0) return false;
  return std::all_of(name.begin(), name.begin() + 64, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

ImageCacheUsage image_cache_usage(const fs::path& dir) {
  ImageCacheUsage usage;
  for (const Listed& e : list_entries(dir)) {
    ++usage.entries;
    usage.bytes += e.bytes;
  }
  return usage;
}

ImageCacheUsage clear_image_cache(const fs::path& dir) {
  ImageCacheUsage removed;
  std::string first_failure;
  for (const Listed& e : list_entries(dir)) {
    std::error_code ec;
    if (fs::remove(e.path, ec)) {
      ++removed.entries;
      removed.bytes += e.bytes;
    } else if (ec && first_failure.empty()) {
      first_failure = e.path.string() + ": cannot remove this image cache entry (" + ec.message() + ")";
    }
  }
  if (!first_failure.empty()) throw FileError(first_failure);
  return removed;
}

}  // namespace vltune::data
