#pragma once
// OpenAI-style chat rows: {"messages": [{"role": "system"|"user"|"assistant", "content": ...}],
// "images": [...]} as JSON Lines or a JSON list. Content is a string (with `<image>` markers that
// the "images" list fills, LLaMA-Factory's layout) or a list of parts:
//   {"type": "text", "text": "..."}
//   {"type": "image_url", "image_url": {"url": "..."} or "..."}
//   {"type": "image", "image" | "url" | "path": "..."}  or just {"type": "image"} (the next of "images")
// Each image part becomes an `<image>` marker where it stands, and parts are joined with nothing
// between them, as transformers' chat templates and LLaMA-Factory's OpenAI converter put them.
// A row's images are those of its parts in order, then its "images" list. Roles are kept as
// written; a leading system message is the system prompt.

#include <filesystem>

#include "core/data/dataset.h"
#include "core/data/readers/reader_common.h"

namespace vltune::data {

// Reads one messages file into `out`: a Record per row, problems for what cannot be read, and
// its DataFile.
void read_openai_messages_file(const std::filesystem::path& path, const ReadContext& context, Dataset& out);

}  // namespace vltune::data
