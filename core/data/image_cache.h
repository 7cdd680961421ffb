#pragma once
// An on-disk cache of preprocessed images, so later epochs and later runs skip decoding and
// resizing. One safetensors file per (image file content, preprocessing settings):
//   <dir>/<sha256 of (sha256 of the file's bytes, ImagePreprocessor::fingerprint())>.safetensors
// The target size the processor gets is a function of those two (the decoded size and the
// settings), and is stored with the pixels. Files are written atomically (AtomicFile via
// save_safetensors), so a reader sees a whole entry or none, from any number of threads or
// processes. An entry is trusted only when its key, sizes, shapes (ImagePreprocessor::check) and
// a SHA-256 of its tensor bytes all match; anything else is counted as corrupt, removed, and the
// image is processed again.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/data/image_preprocessor.h"

namespace vltune::data {

// What the cache did since it was opened.
struct ImageCacheStats {
  int64_t hits = 0;     // entries read and trusted
  int64_t misses = 0;   // no entry: processed and stored
  int64_t corrupt = 0;  // entries that failed a check: processed again and rewritten
};

class ImageCache {
 public:
  // Creates `dir` when needed. Throws FileError naming it when that fails.
  explicit ImageCache(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return m_dir; }

  // The key of an image file's bytes under some preprocessing settings.
  static std::string key(std::string_view file_bytes, const std::string& fingerprint);
  // Where the entry for `key` lives.
  std::filesystem::path path_for(const std::string& key) const;

  // The entry for `key` when there is one that passes every check (tensors copied out of the
  // file); nullopt otherwise (a failing entry is removed and counted as corrupt).
  std::optional<ProcessedImage> load(const std::string& key, const ImagePreprocessor& preprocessor);
  // Writes the entry for `key` (replacing any). I/O failures are logged, not thrown: the cache is
  // an optimisation and training goes on without it.
  void store(const std::string& key, const ProcessedImage& image);
  // Counters so far (thread-safe).
  ImageCacheStats stats() const;

 private:
  std::filesystem::path m_dir;
  std::atomic<int64_t> m_hits{0}, m_misses{0}, m_corrupt{0};
};

}  // namespace vltune::data
