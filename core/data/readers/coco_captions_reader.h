#pragma once
// COCO captions: annotations/captions_<split>.json ({"images": [{"id", "file_name", "width",
// "height"}], "annotations": [{"image_id", "id", "caption"}]}) beside the image folder. One sample
// per annotation (an image with five captions is five samples): the user turn "<image>" +
// OpenOptions::caption_prompt, the caption (trimmed of surrounding white space) as the answer.
// Images are looked up in the media folder, then <root>/<split>/, <root>/images/<split>/,
// <root>/images/ and <root>/; their sizes come from the JSON.

#include <filesystem>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/readers/reader_common.h"

namespace vltune::data {

// The captions_*.json files in <root>/annotations, sorted; empty when there are none.
std::vector<std::filesystem::path> find_coco_caption_files(const std::filesystem::path& root);

// Whether `path` is named like a COCO captions file (captions_<split>.json).
bool is_coco_captions_name(const std::filesystem::path& path);

// Reads one captions file into `out` (records, problems, its DataFile).
void read_coco_captions_file(const std::filesystem::path& path, const ReadContext& context, Dataset& out);

}  // namespace vltune::data
