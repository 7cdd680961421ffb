#pragma once
// A folder of images with same-named caption files (cat.jpg + cat.txt), nested folders allowed:
// one sample per captioned image, in the order of the images' relative paths. Each sample is a
// user turn "<image>" + OpenOptions::caption_prompt and the caption as the answer. Images without
// a caption are counted (Dataset::uncaptioned_images), not read. Hidden files and folders (".x",
// such as macOS "._cat.jpg" resource forks) are ignored. Nothing is decoded: indexing 100,000
// pairs is one walk of the tree and one read per caption.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/readers/reader_common.h"

namespace vltune::data {

// What a walk of a caption folder found.
struct CaptionScan {
  struct Pair {
    std::string image;    // the image, relative to the folder ('/' separators)
    std::string caption;  // its .txt, relative to the folder
  };
  std::vector<Pair> pairs;       // sorted by image
  int64_t uncaptioned = 0;       // images with no same-named .txt
};

// Walks `root` once. Throws FileError when it cannot be listed.
CaptionScan scan_caption_folder(const std::filesystem::path& root);

// Reads the captions of `scan` (made from context.root) into `out`: records, bad_encoding
// problems, the DataFile and Dataset::uncaptioned_images.
void read_caption_folder(const CaptionScan& scan, const ReadContext& context, Dataset& out);

}  // namespace vltune::data
