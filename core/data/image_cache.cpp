#include "core/data/image_cache.h"

#include <system_error>
#include <utility>

#include <ATen/ATen.h>

#include "core/data/sha256.h"
#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_writer.h"
#include "core/log.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "vltune-image-cache-1";

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

void hash_tensor(Sha256& h, const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  h.update(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
}

}  // namespace

ImageCache::ImageCache(fs::path dir) : m_dir(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  if (ec || !fs::is_directory(m_dir))
    throw FileError(m_dir.string() + ": cannot create the image cache folder (" + ec.message() + ")");
}

std::string ImageCache::key(std::string_view file_bytes, const std::string& fingerprint) {
  Sha256 h;
  h.update(sha256_hex(file_bytes));
  h.update("\n");
  h.update(fingerprint);
  return h.finish_hex();
}

fs::path ImageCache::path_for(const std::string& key) const { return m_dir / (key + ".safetensors"); }

std::optional<ProcessedImage> ImageCache::load(const std::string& key, const ImagePreprocessor& preprocessor) {
  const fs::path path = path_for(key);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    ++m_misses;
    return std::nullopt;
  }
  try {
    const auto file = io::SafetensorsFile::open(path);
    if (metadata(file, "format") != kFormat) throw FormatError("not a vltune image cache entry");
    if (metadata(file, "key") != key) throw FormatError("written for another key");
    ProcessedImage image;
    image.source = parse_size(metadata(file, "source"), "source");
    image.target = parse_size(metadata(file, "target"), "target");
    image.rows = std::stoll(metadata(file, "rows"));
    image.cols = std::stoll(metadata(file, "cols"));
    // Copies: the entry may be replaced or removed while the tensors are in use.
    image.pixel_values = file.tensor("pixel_values").clone();
    if (file.contains("image_grid_thw")) image.image_grid_thw = file.tensor("image_grid_thw").clone();
    Sha256 h;
    h.update(file.tensor_bytes("pixel_values"));
    if (file.contains("image_grid_thw")) h.update(file.tensor_bytes("image_grid_thw"));
    if (h.finish_hex() != metadata(file, "sha256")) throw FormatError("its tensors do not match their checksum");
    preprocessor.check(image, "entry");
    ++m_hits;
    return image;
  } catch (const std::exception& e) {
    log_warning("image cache: " + path.string() + " is corrupt (" + e.what() + "); the image is processed again");
    fs::remove(path, ec);
    ++m_corrupt;
    return std::nullopt;
  }
}

void ImageCache::store(const std::string& key, const ProcessedImage& image) {
  Sha256 h;
  hash_tensor(h, image.pixel_values);
  io::NamedTensors tensors{{"pixel_values", image.pixel_values}};
  if (image.image_grid_thw.defined()) {
    hash_tensor(h, image.image_grid_thw);
    tensors.emplace_back("image_grid_thw", image.image_grid_thw);
  }
  const std::map<std::string, std::string> meta{
      {"format", kFormat},
      {"key", key},
      {"source", size_text(image.source)},
      {"target", size_text(image.target)},
      {"rows", std::to_string(image.rows)},
      {"cols", std::to_string(image.cols)},
      {"sha256", h.finish_hex()},
  };
  try {
    io::save_safetensors(path_for(key), tensors, meta);
  } catch (const Error& e) {
    log_warning(std::string("image cache: ") + e.what() + " (going on without caching this image)");
  }
}

ImageCacheStats ImageCache::stats() const { return {m_hits.load(), m_misses.load(), m_corrupt.load()}; }

}  // namespace vltune::data
