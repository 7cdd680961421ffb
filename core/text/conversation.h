#pragma once
// A conversation as training data and chat hold it: messages whose text marks each image with
// `<image>` (LLaMA-Factory's IMAGE_PLACEHOLDER), plus the sizes of those images. Reading one from
// JSON accepts the shapes LLaMA-Factory's sharegpt datasets use.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/json_file.h"

namespace vltune::text {

// Where an image stands in message text (LLaMA-Factory's IMAGE_PLACEHOLDER default).
inline constexpr std::string_view kImageMarker = "<image>";

enum class Role { system, user, assistant };

// "system", "user", "assistant".
std::string_view role_name(Role role);

struct Message {
  Role role = Role::user;  // who speaks
  std::string content;     // UTF-8 text; each `<image>` stands for the next image of the conversation
};

// Pixel size of an image as loaded (before any resizing).
struct ImageSize {
  int64_t width = 0;   // pixels
  int64_t height = 0;  // pixels

  bool operator==(const ImageSize&) const = default;
};

struct Conversation {
  std::vector<Message> messages;  // user/assistant turns (a system message, if any, is in `system`)
  std::string system;             // system prompt; empty = the template's default (LLaMA-Factory: `system or default_system`)
  std::vector<ImageSize> images;  // the images the `<image>` markers stand for, in order
  std::string label;              // names the sample in error messages ("sample 12", "stdin")
};

// Number of non-overlapping `marker`s in `text`.
size_t count_markers(std::string_view text, std::string_view marker = kImageMarker);

// Resolves an image given by path in JSON to its size (the CLI reads the file's header).
using ImageSizeResolver = std::function<ImageSize(const std::string& path)>;

// Reads a conversation from JSON, one of:
//   [{"role": "user", "content": "..."}, ...]                         a list of messages
//   {"messages": [...], "images": [...], "system": "..."}            LLaMA-Factory sharegpt (openai tags)
//   {"conversations": [{"from": "human", "value": "..."}, ...], ...} sharegpt (from/value, human/gpt)
// Roles: system, user, assistant (also human, gpt). A leading system message becomes `system`.
// Images: {"width": W, "height": H} objects, or strings (paths) passed to `resolve_path` (an error
// when it is empty). Throws FormatError naming `label` and the offending key.
Conversation parse_conversation_json(const io::Json& value, const std::string& label,
                                     const ImageSizeResolver& resolve_path = {});

}  // namespace vltune::text
