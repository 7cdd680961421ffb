#pragma once
// An on-disk cache of prepared images (ImagePreprocessor::prepare: uint8 pixels at the model's
// resolution, after every resize), so that later epochs and later runs skip decoding and resizing
// large photos. One safetensors file per (image file, preprocessing settings):
//   <dir>/<sha256 of (absolute path, byte size, modification time, fingerprint())>.safetensors
// Keyed by what stat() says of the file, not by its bytes, so a hit reads only the entry: hashing
// a 4 MB photo costs a fifth of decoding it. A file edited in place gets a new modification time,
// hence a new key; `overwrite` (LLaMA-Factory's overwrite_cache) rebuilds the entries a run uses.
//
// Only images whose preparation changes their pixel count at least twofold are kept
// (worth_keeping): a photo shrunk to at most half its pixels (decoding and downscaling it is what
// costs; its entry is smaller than the decoded image), or an image enlarged to at least twice its
// pixels (SmolVLM's tiling of a 640x480 image: a Lanczos upscale to 2048x1536 and the global view,
// ~45 ms on a core, against a few to read). An image prepared at about its own size decodes and
// resizes about as fast as its entry reads, and its entry would be larger than its file. Entries
// are written atomically (save_safetensors), so a reader sees a whole entry or none, from any
// number of threads or processes. An entry is trusted only when its
// format, key, source size, prepared shape and a checksum of its pixels all match; anything else
// is counted as corrupt, removed, and the image is prepared again.
//
// Size: the folder holds at most max_bytes. Opening the cache removes the entries used longest ago
// (a hit refreshes an entry's time) until it does; a store that would pass the cap first removes
// the oldest entries this run has not used, and when only this run's remain, is not written. So a
// dataset larger than the cap keeps the entries it made first, rather than each epoch evicting
// what the next one needs, and never fills the disk.

#include <atomic>
#include <deque>
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
  int64_t evicted = 0;  // entries removed to keep under max_bytes (when opened, or to make room)
  int64_t full = 0;     // entries not written: the folder held only this run's, at max_bytes
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
  // Whether an image of `source` size prepared to `prepared` size is kept (at most half the pixels,
  // or at least twice).
  static bool worth_keeping(text::ImageSize source, text::ImageSize prepared);

  // The entry for `key` when there is one that passes every check (pixels copied out of the file);
  // nullopt otherwise (a failing entry is removed and counted as corrupt).
  std::optional<CachedImage> load(const std::string& key, const ImagePreprocessor& preprocessor);
  // Writes the entry for `key` (replacing any), removing entries this run has not used to stay
  // under max_bytes; not written when that isn't enough (counted in stats().full, logged once).
  // I/O failures are logged, not thrown: the cache is an optimisation and training goes on
  // without it.
  void store(const std::string& key, const CachedImage& image);
  // Bytes of the entries in the folder: counted when opened, plus what this object stored since.
  int64_t bytes() const { return m_bytes.load(); }
  // Counters so far (thread-safe).
  ImageCacheStats stats() const;

 private:
  // An entry found when the cache was opened: what room is made from.
  struct OldEntry {
    std::filesystem::path path;
    std::filesystem::file_time_type time;
    uintmax_t size = 0;
  };
  // Scans the folder: evicts down to max_bytes, counts m_bytes, queues the rest in m_old.
  void evict();
  // Adds `bytes` to m_bytes, making room under max_bytes first; false (nothing added) when even
  // without every old entry this run hasn't used they would pass it.
  bool reserve(int64_t bytes);

  std::filesystem::path m_dir;
  ImageCacheParams m_params;
  std::atomic<int64_t> m_hits{0}, m_misses{0}, m_corrupt{0}, m_stored{0}, m_evicted{0}, m_full{0};
  std::atomic<int64_t> m_bytes{0};  // entries' bytes in the folder (other processes' stores not seen)
  std::filesystem::file_time_type m_opened;  // entries used by this run have a later time
  std::mutex m_mutex;
  std::set<std::string> m_written;  // keys stored by this object (what `overwrite` trusts)
  std::deque<OldEntry> m_old;       // entries from before this run, oldest first (under m_mutex)
};

}  // namespace vltune::data
