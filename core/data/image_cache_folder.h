#pragma once
// The image cache's folder as a whole, for the people who own the disk: how much it holds, and
// emptying it (vltune-cli image-cache, the app's Image Cache dialog). Only files named like entries
// (64 hex digits + ".safetensors", data/image_cache.h) are counted or removed, so pointing the
// cache at a folder that holds anything else never costs a user's file.

#include <cstdint>
#include <filesystem>

namespace vltune::data {

struct ImageCacheUsage {
  int64_t entries = 0;  // prepared images held
  int64_t bytes = 0;    // their size on disk
};

// Whether `file` is named as a cache entry is.
bool is_image_cache_entry(const std::filesystem::path& file);

// What `dir` holds; {0, 0} when it does not exist. Throws FileError naming the folder when it
// exists and cannot be listed (or is not a folder).
ImageCacheUsage image_cache_usage(const std::filesystem::path& dir);

// Removes every entry from `dir` and returns what was removed ({0, 0} when it does not exist).
// Other files stay. Throws FileError naming the first entry that cannot be removed, after removing
// the rest.
ImageCacheUsage clear_image_cache(const std::filesystem::path& dir);

}  // namespace vltune::data
