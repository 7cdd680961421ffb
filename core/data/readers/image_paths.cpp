#include "core/data/readers/image_paths.h"

#include <algorithm>
#include <array>

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ascii_lower(text.substr(0, prefix.size())) == prefix;
}

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// The first of media_dir, root, data_dir (each folder once) in which `given` is a file.
fs::path find_relative(const fs::path& given, const ReadContext& context, const fs::path& data_dir) {
  const std::array<const fs::path*, 3> bases = {&context.media_dir, &context.root, &data_dir};
  for (size_t i = 0; i < bases.size(); ++i) {
    const fs::path& base = *bases[i];
    if (base.empty()) continue;
    bool seen = false;  // the same folder twice costs a second stat for nothing
    for (size_t j = 0; j < i; ++j) seen = seen || *bases[j] == base;
    if (seen) continue;
    fs::path candidate = (base / given).lexically_normal();
    if (is_file(candidate)) return candidate;
  }
  return {};
}

fs::path find_image(const fs::path& given, const ReadContext& context, const fs::path& data_dir) {
  if (given.is_absolute()) return is_file(given) ? given.lexically_normal() : fs::path();
  return find_relative(given, context, data_dir);
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::optional<fs::path> file_url_path(std::string_view written) {
  if (!starts_with_nocase(written, "file:")) return std::nullopt;
  std::string_view rest = written.substr(5);
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    // file://host/path: only the local host names a file here.
    const size_t slash = rest.find('/');
    const std::string_view host = rest.substr(0, slash);
    if (!host.empty() && ascii_lower(host) != "localhost") return std::nullopt;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  if (const size_t cut = rest.find_first_of("?#"); cut != std::string_view::npos) rest = rest.substr(0, cut);
  return fs::path(percent_decode(rest));
}

std::optional<std::string> unreadable_reference(std::string_view written) {
  if (starts_with_nocase(written, "data:"))
    return std::string("is embedded as a data: URL, which is not read: save the image as a file and give its path");
  if (starts_with_nocase(written, "http://") || starts_with_nocase(written, "https://"))
    return std::string("is a web URL, which is not downloaded: download the image and give its path");
  if (starts_with_nocase(written, "file:") && !file_url_path(written))
    return std::string("is a file:// URL on another host, which is not read");
  return std::nullopt;
}

ImageRef resolve_image(std::string_view written, const ReadContext& context, const fs::path& data_dir) {
  ImageRef ref;
  ref.written = std::string(written);
  if (written.empty() || unreadable_reference(written)) return ref;
  fs::path given = fs::path(std::string(written));
  if (auto local = file_url_path(written)) given = *local;
  ref.path = find_image(given, context, data_dir);
  if (ref.path.empty() && written.find('\\') != std::string_view::npos) {
    // Written on Windows ("images\\a.png"): the same path with '/' separators.
    std::string slashes = given.string();
    std::replace(slashes.begin(), slashes.end(), '\\', '/');
    ref.path = find_image(slashes, context, data_dir);
  }
  return ref;
}

bool is_image_extension(std::string_view extension) {
  // What OpenCV's imgcodecs reads: JPEG, PNG, WebP, BMP/DIB, TIFF, GIF (decoded from OpenCV 4.7),
  // JPEG 2000, the PNM family, Sun raster, OpenEXR, Radiance HDR.
  static constexpr std::array<std::string_view, 23> kExtensions = {
      ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff", ".gif", ".jp2",
      ".pbm", ".pgm", ".ppm", ".pnm", ".pxm", ".pam", ".sr", ".ras", ".exr", ".hdr", ".pic"};
  const std::string lower = ascii_lower(extension);
  for (std::string_view e : kExtensions)
    if (lower == e) return true;
  return false;
}

}  // namespace vltune::data
