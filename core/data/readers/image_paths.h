#pragma once
// Image references as rows write them, resolved to files: a path relative to the media folder,
// the dataset folder or the data file's folder (tried in that order, as LLaMA-Factory joins
// `media_dir` first); an absolute path; or a file:// URL. A relative path written with Windows
// backslashes that names no file is tried again with '/'. URLs to elsewhere (http, data:) are not
// read: the reference keeps no path and the reader says why.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/readers/reader_common.h"

namespace vltune::data {

// Resolves `written` for a row of the data file in `data_dir`. ImageRef::path is empty when no
// candidate is a file (or the reference is a URL we do not read, see unreadable_reference).
ImageRef resolve_image(std::string_view written, const ReadContext& context,
                       const std::filesystem::path& data_dir);

// Why `written` can never name a local file (a data: URL, an http(s) URL), as the end of a
// sentence; nullopt for paths and file:// URLs.
std::optional<std::string> unreadable_reference(std::string_view written);

// `text` with %XX escapes decoded (file:// URLs).
std::string percent_decode(std::string_view text);

// The local path a file:// URL names ("file:///a%20b.png" -> "/a b.png"); nullopt for other text.
std::optional<std::filesystem::path> file_url_path(std::string_view written);

// Whether a file extension (".JPG" or ".jpg") is one OpenCV reads as an image.
bool is_image_extension(std::string_view extension);

}  // namespace vltune::data
