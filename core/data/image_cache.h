#pragma once
// An on-disk cache of prepared images (ImagePreprocessor::prepare: uint8 pixels at the model's
// resolution, after every resize), so that later epochs and later runs skip decoding and resizing
// large photos. One safetensors file per (image file, preprocessing settings):
//   <dir>/<sha256 of (absolute path, byte size, modification time, fingerprint())>.safetensors
// Keyed by what stat() says of the file, not by its bytes, so a hit reads only the entry: hashing
// a 4 MB photo costs a fifth of decoding it. A file edited in place gets a new modification time,
// hence a new key; `overwrite` (LLaMA-Factory's overwrite_cache) rebuilds the entries a run uses.
//
// Only images that prepare() shrinks to at most half their pixels are kept (worth_keeping): a
// smaller image decodes and resizes about as fast as its entry reads, and its entry would be
// larger than its file. Entries are written atomically (save_safetensors), so a reader sees a
// whole entry or none, from any number of threads or processes. An entry is trusted only when its
// format, key, source size, prepared shape and a checksum of its pixels all match; anything else
// is counted as corrupt, removed, and the image is prepared again.
//
// Size: opening the cache removes the entries used longest ago (a hit refreshes an entry's time)
// until the folder holds at most max_bytes.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/data/image_preprocessor.h"

namespace vltune::data {

struct ImageCacheParams {
  int64_t max_bytes = int64_t{20} << 30;  // the folder's size cap, enforced when opened (0: none)
  bool overwrite = false;                 // entries not written by this object count as absent
};

// What the cache did since it was opened.
struct ImageCacheStats {
  int64_t hits = 0;     // entries read and trusted
  int64_t misses = 0;   // no entry (or overwrite): prepared, and stored when worth keeping
  int64_t corrupt = 0;  // entries that failed a check: prepared again and rewritten
  int64_t stored = 0;   // entries written
  int64_t evicted = 0;  // entries removed to keep under max_bytes when opened
};

// A prepared image as the cache gives it back.
struct CachedImage {
  text::ImageSize source;  // size as decoded (upright)
  at::Tensor prepared;     // [3, h, w] uint8, ImagePreprocessor::prepare's
};

// Where training keeps prepared images unless told otherwise: $XDG_CACHE_HOME/vltune/images, else
// ~/.cache/vltune/images; "" when neither variable is set.
std::filesystem::path default_image_cache_dir();

class ImageCache {
 public:
  // Creates `dir` when needed, then evicts down to params.max_bytes. Throws FileError naming the
  // folder when it cannot be created.
  explicit ImageCache(std::filesystem::path dir, ImageCacheParams params = {});

  const std::filesystem::path& dir() const { return m_dir; }

  // The key of an image file under some preprocessing settings, from its absolute path, size and
  // modification time; nullopt when the file cannot be stat()ed (the caller's read then reports it).
  static std::optional<std::string> key(const std::filesystem::path& file, const std::string& fingerprint);
  // Where the entry for `key` lives.
  std::filesystem::path path_for(const std::string& key) const;
  // Whether an image of `source` size prepared to `prepared` size is kept (at most half the pixels).
  static bool worth_keeping(text::ImageSize source, text::ImageSize prepared);

  // The entry for `key` when there is one that passes every check (pixels copied out of the file);
  // nullopt otherwise (a failing entry is removed and counted as corrupt).
  std::optional<CachedImage> load(const std::string& key, const ImagePreprocessor& preprocessor);
  // Writes the entry for `key` (replacing any). I/O failures are logged, not thrown: the cache is
  // an optimisation and training goes on without it.
  void store(const std::string& key, const CachedImage& image);
  // Counters so far (thread-safe).
  ImageCacheStats stats() const;

 private:
  void evict();

  std::filesystem::path m_dir;
  ImageCacheParams m_params;
  std::atomic<int64_t> m_hits{0}, m_misses{0}, m_corrupt{0}, m_stored{0}, m_evicted{0};
  std::mutex m_mutex;
  std::set<std::string> m_written;  // keys stored by this object (what `overwrite` trusts)
};

}  // namespace vltune::data
