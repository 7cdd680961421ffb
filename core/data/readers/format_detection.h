#pragma once
// Which format a dropped folder or file is, and the one sentence that says why:
//   folder with dataset_info.json (or that file itself)   -> llamafactory
//   folder with annotations/captions_*.json                -> coco_captions
//   folder holding exactly one recognisable data file      -> that file's format
//   folder of images with same-named .txt captions         -> image_captions
//   .json/.jsonl whose first rows have "messages" with role/content -> openai_messages,
//     "conversations" -> sharegpt, "instruction"/"output" -> alpaca; captions_*.json -> coco_captions

#include <filesystem>
#include <optional>
#include <string>

#include "core/data/dataset.h"
#include "core/data/readers/alpaca_reader.h"
#include "core/data/readers/caption_folder_reader.h"
#include "core/data/readers/sharegpt_reader.h"
#include "core/io/json_file.h"

namespace vltune::data {

// What to read and why.
struct Detection {
  DatasetFormat format = DatasetFormat::sharegpt;  // the format
  std::filesystem::path root;                      // the dataset folder (paths are shown relative to it)
  std::filesystem::path file;                      // the one data file to read ("" = the whole folder)
  std::string because;                             // one sentence naming the evidence
  std::optional<CaptionScan> captions;             // image_captions: the walk already made
  io::Json evidence_row;                           // the data file's row that showed the format (null: none)
};

// Detects the format of `path` (absolute, existing), or checks that it can be read as `forced`.
// Throws FormatError saying what was looked for when nothing there is a dataset we read.
Detection detect_format(const std::filesystem::path& path, std::optional<DatasetFormat> forced);

// How a sharegpt file without dataset_info.json names its columns and roles, from its first row:
// LLaMA-Factory's defaults, or "messages" / role-content-user-assistant when the row uses those;
// a "system" key is read as the system prompt.
// Rows with "chosen" and "rejected" are preference pairs (columns.chosen / rejected set).
std::pair<SharegptColumns, SharegptTags> bare_sharegpt_layout(const io::Json& first_row);

// How an alpaca file without dataset_info.json names its columns: LLaMA-Factory's defaults plus
// "history" and "system"; preference rows ("chosen" and "rejected") also in RLAIF-V's layout
// (question, chosen, rejected, image) or TRL's (prompt, chosen, rejected).
AlpacaColumns bare_alpaca_columns(const io::Json& first_row);

}  // namespace vltune::data
