#include "core/data/image_cache.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <system_error>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "core/data/image_cache_folder.h"
#include "core/data/sha256.h"
#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/log.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "vltune-prepared-image-1";
constexpr const char* kSuffix = ".safetensors";

std::string size_text(text::ImageSize s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// "WxH" -> size; FormatError otherwise.
text::ImageSize parse_size(const std::string& text, const std::string& what) {
  const size_t x = text.find('x');
  try {
    if (x == std::string::npos) throw std::invalid_argument(text);
    return {std::stoll(text.substr(0, x)), std::stoll(text.substr(x + 1))};
  } catch (const std::exception&) {
    throw FormatError(what + " \"" + text + "\" is not WxH");
  }
}

std::string metadata(const io::SafetensorsFile& file, const std::string& key) {
  const auto it = file.metadata().find(key);
  if (it == file.metadata().end()) throw FormatError("no \"" + key + "\" in the metadata");
  return it->second;
}

// A 64-bit checksum of the pixels, a word at a time (~5 GB/s): it catches a damaged entry, where
// SHA-256 would cost more than preparing the image again.
std::string pixel_checksum(std::string_view bytes) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w = 0;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<uint8_t>(bytes[i])) * 0x100000001b3ull;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string_view tensor_view(const at::Tensor& t) {
  return {static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * t.element_size()};
}

}  // namespace

fs::path default_image_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "vltune" / "images";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "vltune" / "images";
  return {};
}

ImageCache::ImageCache(fs::path dir, ImageCacheParams params)
    : m_dir(std::move(dir)), m_params(params), m_opened(fs::file_time_type::clock::now()) {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  if (ec || !fs::is_directory(m_dir))
    throw FileError(m_dir.string() + ": cannot create the image cache folder (" + ec.message() + ")");
  evict();
}

std::optional<std::string> ImageCache::key(const fs::path& file, const std::string& fingerprint) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(file, ec);
  if (ec) return std::nullopt;
  const uintmax_t size = fs::file_size(absolute, ec);
  if (ec) return std::nullopt;
  const auto mtime = fs::last_write_time(absolute, ec);
  if (ec) return std::nullopt;
  Sha256 h;
  h.update(absolute.lexically_normal().string());
  h.update("\n" + std::to_string(size) + "\n" + std::to_string(mtime.time_since_epoch().count()) + "\n");
  h.update(fingerprint);
  return h.finish_hex();
}

fs::path ImageCache::path_for(const std::string& key) const { return m_dir / (key + kSuffix); }

bool ImageCache::worth_keeping(text::ImageSize source, text::ImageSize prepared) {
  const int64_t before = source.width * source.height, after = prepared.width * prepared.height;
  return 2 * after <= before || after >= 2 * before;
}

std::optional<CachedImage> ImageCache::load(const std::string& key, const ImagePreprocessor& preprocessor) {
  if (m_params.overwrite) {
    const std::lock_guard lock(m_mutex);
    if (!m_written.count(key)) {
      ++m_misses;
      return std::nullopt;
    }
  }
  const fs::path path = path_for(key);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    ++m_misses;
    return std::nullopt;
  }
  try {
    const auto file = io::SafetensorsFile::open(path);
    if (metadata(file, "format") != kFormat) throw FormatError("not a vltune prepared-image entry");
    if (metadata(file, "key") != key) throw FormatError("written for another key");
    CachedImage image;
    image.source = parse_size(metadata(file, "source"), "source");
    const text::ImageSize want = preprocessor.prepared_size(image.source);
    const at::Tensor pixels = file.tensor("pixels");
    if (pixels.scalar_type() != at::kByte || pixels.sizes() != at::IntArrayRef{3, want.height, want.width})
      throw FormatError("pixels " + c10::str(pixels.sizes()) + " where a " + size_text(image.source) + " image gives [3, " +
                        std::to_string(want.height) + ", " + std::to_string(want.width) + "] uint8");
    if (pixel_checksum(file.tensor_bytes("pixels")) != metadata(file, "checksum"))
      throw FormatError("its pixels do not match their checksum");
    image.prepared = pixels.clone();  // a copy: the entry may be replaced or removed while in use
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // used now: evicted last
    ++m_hits;
    return image;
  } catch (const std::exception& e) {
    log_warning("image cache: " + path.string() + " is corrupt (" + e.what() + "); the image is prepared again");
    fs::remove(path, ec);  // its bytes stay counted until the next run: erring toward storing less
    ++m_corrupt;
    return std::nullopt;
  }
}

void ImageCache::store(const std::string& key, const CachedImage& image) {
  const at::Tensor pixels = image.prepared.contiguous();
  const std::map<std::string, std::string> meta{
      {"format", kFormat},
      {"key", key},
      {"source", size_text(image.source)},
      {"checksum", pixel_checksum(tensor_view(pixels))},
  };
  const fs::path path = path_for(key);
  std::error_code ec;
  const uintmax_t replaced = fs::file_size(path, ec);  // an entry rewritten (none there: an error)
  const int64_t old_bytes = ec ? 0 : static_cast<int64_t>(replaced);
  // The pixels' bytes and a header's, reserved before writing so that workers storing at once
  // can't pass the cap together; settled to the file's size once written.
  const int64_t reserved = static_cast<int64_t>(tensor_view(pixels).size()) + 1024 - old_bytes;
  if (!reserve(reserved)) {
    if (m_full++ == 0) {
      char sizes[96];
      std::snprintf(sizes, sizeof sizes, "%.3g GiB of its %.3g GiB cap", static_cast<double>(m_bytes.load()) / (1 << 30),
                    static_cast<double>(m_params.max_bytes) / (1 << 30));
      log_warning("image cache " + m_dir.string() + ": full of this run's images (" + sizes +
                  "); the others are prepared again each epoch (a larger cap: File > Image Cache…, or --image-cache-max)");
    }
    return;
  }
  try {
    io::save_safetensors(path, {{"pixels", pixels}}, meta);
    const uintmax_t written = fs::file_size(path, ec);
    if (!ec) m_bytes += static_cast<int64_t>(written) - old_bytes - reserved;
    ++m_stored;
    const std::lock_guard lock(m_mutex);
    m_written.insert(key);
  } catch (const Error& e) {
    m_bytes -= reserved;
    log_warning(std::string("image cache: ") + e.what() + " (going on without caching this image)");
  }
}

bool ImageCache::reserve(int64_t bytes) {
  if (m_params.max_bytes <= 0 || bytes <= 0) {
    m_bytes += bytes;
    return true;
  }
  const std::lock_guard lock(m_mutex);
  // Room is made from the entries used longest ago, never from one this run has used: a hit sets
  // an entry's time to now, after m_opened.
  std::error_code ec;
  while (m_bytes.load() + bytes > m_params.max_bytes && !m_old.empty()) {
    const OldEntry e = std::move(m_old.front());
    m_old.pop_front();
    const auto time = fs::last_write_time(e.path, ec);
    if (ec) {  // gone already (cleared from the dialog, say)
      m_bytes -= static_cast<int64_t>(e.size);
    } else if (time < m_opened && fs::remove(e.path, ec)) {
      m_bytes -= static_cast<int64_t>(e.size);
      ++m_evicted;
    }
  }
  if (m_bytes.load() + bytes > m_params.max_bytes) return false;
  m_bytes += bytes;
  return true;
}

void ImageCache::evict() {
  std::vector<OldEntry> entries;
  uintmax_t total = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(m_dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!is_image_cache_entry(it->path()) || !it->is_regular_file(ec)) continue;  // never another file
    OldEntry e{it->path(), it->last_write_time(ec), it->file_size(ec)};
    if (ec) continue;
    total += e.size;
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const OldEntry& a, const OldEntry& b) { return a.time < b.time; });
  const auto cap = static_cast<uintmax_t>(m_params.max_bytes);
  size_t first_kept = 0;  // entries before it are removed (or failed to be)
  for (; first_kept < entries.size() && m_params.max_bytes > 0 && total > cap; ++first_kept)
    if (fs::remove(entries[first_kept].path, ec)) {
      total -= entries[first_kept].size;
      ++m_evicted;
    }
  m_old.assign(std::make_move_iterator(entries.begin() + static_cast<ptrdiff_t>(first_kept)),
               std::make_move_iterator(entries.end()));
  m_bytes = static_cast<int64_t>(total);
}

ImageCacheStats ImageCache::stats() const {
  return {m_hits.load(), m_misses.load(), m_corrupt.load(), m_stored.load(), m_evicted.load(), m_full.load()};
}

}  // namespace vltune::data
