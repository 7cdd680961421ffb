#include "core/data/dataset.h"

#include <array>
#include <vector>

#include "core/data/readers/alpaca_reader.h"
#include "core/data/readers/caption_folder_reader.h"
#include "core/data/readers/coco_captions_reader.h"
#include "core/data/readers/format_detection.h"
#include "core/data/readers/llamafactory_reader.h"
#include "core/data/readers/openai_messages_reader.h"
#include "core/data/readers/sharegpt_reader.h"
#include "core/error.h"
#include "core/io/image_header.h"
#include "core/vision/image_io.h"

namespace vltune::data {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::pair<DatasetFormat, std::string_view>, 6> kFormatNames = {{
    {DatasetFormat::llamafactory, "llamafactory"},
    {DatasetFormat::openai_messages, "openai_messages"},
    {DatasetFormat::image_captions, "image_captions"},
    {DatasetFormat::coco_captions, "coco_captions"},
    {DatasetFormat::sharegpt, "sharegpt"},
    {DatasetFormat::alpaca, "alpaca"},
}};

// Reads what `d` found into `out`.
void read_detected(Detection& d, const OpenOptions& options, Dataset& out) {
  const ReadContext context{d.root, options.media_dir, options.caption_prompt};
  switch (d.format) {
    case DatasetFormat::llamafactory:
      d.because += " " + read_llamafactory(d.root, options, out);
      return;
    case DatasetFormat::openai_messages:
      read_openai_messages_file(d.file, context, out);
      return;
    case DatasetFormat::image_captions:
      if (!d.captions) d.captions = scan_caption_folder(d.root);
      read_caption_folder(*d.captions, context, out);
      return;
    case DatasetFormat::coco_captions:
      if (!d.file.empty()) {
        read_coco_captions_file(d.file, context, out);
      } else {
        for (const fs::path& file : find_coco_caption_files(d.root)) read_coco_captions_file(file, context, out);
      }
      return;
    case DatasetFormat::sharegpt: {
      const auto [columns, tags] = bare_sharegpt_layout(d.evidence_row.is_object() ? d.evidence_row : io::Json::object());
      read_sharegpt_file(d.file, "", columns, tags, context, out);
      return;
    }
    case DatasetFormat::alpaca: {
      const AlpacaColumns columns = bare_alpaca_columns(d.evidence_row.is_object() ? d.evidence_row : io::Json::object());
      read_alpaca_file(d.file, "", columns, context, out);
      return;
    }
  }
}

// The orientation (1-8) EXIF gives an image file, 1 when none, from the EXIF block alone: it is
// handed to the one orientation parser wrapped as the smallest JPEG that carries it.
int exif_orientation(const fs::path& path) {
  const std::vector<uint8_t> block = io::read_exif_block(path);  // at most 16 KiB
  if (block.empty()) return 1;
  const size_t length = 2 + 6 + block.size();  // the APP1 segment's length field counts itself
  std::vector<uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xE1, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length),
                               'E', 'x', 'i', 'f', 0, 0};
  jpeg.insert(jpeg.end(), block.begin(), block.end());
  return vision::read_exif_orientation(jpeg);
}

}  // namespace

std::string_view format_name(DatasetFormat format) {
  for (const auto& [f, name] : kFormatNames)
    if (f == format) return name;
  return "?";
}

std::optional<DatasetFormat> parse_format(std::string_view name) {
  for (const auto& [f, n] : kFormatNames)
    if (n == name) return f;
  return std::nullopt;
}

std::string_view problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::missing_image: return "missing_image";
    case ProblemKind::unreadable_image: return "unreadable_image";
    case ProblemKind::image_count_mismatch: return "image_count_mismatch";
    case ProblemKind::empty_answer: return "empty_answer";
    case ProblemKind::unknown_role: return "unknown_role";
    case ProblemKind::not_alternating: return "not_alternating";
    case ProblemKind::too_long: return "too_long";
    case ProblemKind::duplicate: return "duplicate";
    case ProblemKind::bad_encoding: return "bad_encoding";
    case ProblemKind::bad_json: return "bad_json";
  }
  return "?";
}

Dataset open_dataset(const fs::path& path, const OpenOptions& options) {
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec))
    throw FileError((path.empty() ? std::string("(empty path)") : path.string()) + ": no such file or folder");
  const fs::path absolute = fs::absolute(path, ec).lexically_normal();
  fs::path target = absolute;
  if (target.has_filename() == false) target = target.parent_path();  // "folder/" -> "folder"

  Detection detection = detect_format(target, options.format);
  Dataset out;
  out.format = detection.format;
  out.root = detection.root;
  read_detected(detection, options, out);
  out.detected_because = std::move(detection.because);
  return out;
}

text::Conversation to_conversation(const Record& record) {
  text::Conversation conv;
  conv.label = record.file + " row " + std::to_string(record.row);
  conv.system = record.system;
  for (size_t i = 0; i < record.turns.size(); ++i) {
    const Turn& turn = record.turns[i];
    text::Role role;
    if (turn.role == "user") role = text::Role::user;
    else if (turn.role == "assistant") role = text::Role::assistant;
    else if (turn.role == "system" && i == 0 && conv.system.empty()) {
      conv.system = turn.content;  // a record built by hand may keep its system turn
      continue;
    } else if (turn.role == "system") {
      throw FormatError(conv.label + ": turn " + std::to_string(i) +
                        " is a system turn; the templates take a system prompt only before the conversation");
    } else {
      throw FormatError(conv.label + ": turn " + std::to_string(i) + " has role \"" + turn.role +
                        "\", which the chat templates cannot take (user, assistant, system)");
    }
    conv.messages.push_back({role, turn.content});
  }
  for (size_t i = 0; i < record.images.size(); ++i) {
    const ImageRef& ref = record.images[i];
    if (ref.width > 0 && ref.height > 0) {
      conv.images.push_back({ref.width, ref.height});
      continue;
    }
    if (ref.path.empty())
      throw FormatError(conv.label + ": image " + std::to_string(i) + " \"" + ref.written + "\" names no file");
    try {
      conv.images.push_back(probe_image_size(ref.path));
    } catch (const Error& e) {
      throw FormatError(conv.label + ": image " + std::to_string(i) + ": " + e.what());
    }
  }
  return conv;
}

text::ImageSize probe_image_size(const fs::path& path) {
  io::ImageDimensions d;
  try {
    d = io::read_image_dimensions(path);
  } catch (const FormatError&) {
    if (!vision::image_io_available()) throw;
    // A format without a header reader here (TIFF, ...): OpenCV decodes it, upright already.
    const at::Tensor rgb = vision::read_image_rgb(path);  // [3, H, W]
    return {rgb.size(2), rgb.size(1)};
  }
  // EXIF orientations 5-8 turn the picture a quarter: the pipeline sees it upright.
  if (exif_orientation(path) >= 5) std::swap(d.width, d.height);
  return {d.width, d.height};
}

}  // namespace vltune::data
