#pragma once
// A dataset as the engine indexes it: every row of every data file, read leniently (a bad row is
// kept with what could be read and a Problem, never dropped in silence), with image references
// resolved to files but no pixel decoded. Readers for each format fill it (core/data/readers/);
// validation, statistics, the preview and the batch pipeline read it.
//
// Formats:
//   llamafactory     a folder (or its dataset_info.json) naming sharegpt / alpaca datasets
//   openai_messages  JSONL (or JSON list) of {"messages": [{"role", "content"}]}, content parts
//                    with images
//   image_captions   a folder of images with same-named .txt captions, nested folders allowed
//   coco_captions    annotations/captions_*.json + the image folder
//   sharegpt, alpaca a single .json/.jsonl file in LLaMA-Factory's layout, without dataset_info.json
//
// Preference (ranking) datasets, what DPO trains on, come in sharegpt or alpaca formatting
// (dataset_info.json "ranking": true, or a bare file whose rows hold "chosen" and "rejected"):
// sharegpt rows end with the user's turn and hold the two answers as turns of their own, alpaca
// rows (RLAIF-V's prompt/chosen/rejected/images layout among them) as strings.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/conversation.h"

namespace vltune::data {

enum class DatasetFormat { llamafactory, openai_messages, image_captions, coco_captions, sharegpt, alpaca };

// "llamafactory", "openai_messages", "image_captions", "coco_captions", "sharegpt", "alpaca".
std::string_view format_name(DatasetFormat format);
// The format called `name`; nullopt for an unknown name.
std::optional<DatasetFormat> parse_format(std::string_view name);

// What a validation problem is about. Names as `vltune-cli inspect` prints them.
enum class ProblemKind {
  missing_image,         // an image reference names no file
  unreadable_image,      // the file is there but is not an image we can read
  image_count_mismatch,  // `<image>` markers != images
  empty_answer,          // an assistant turn that is empty or whitespace only
  unknown_role,          // a role tag that is neither user, assistant nor system (after the dataset's tags)
  not_alternating,       // turns do not go user, assistant, user, ... ending with assistant
  too_long,              // longer than cutoff_len tokens after image expansion
  duplicate,             // the same text and images as an earlier row
  bad_encoding,          // text that is not UTF-8
  bad_json,              // a file or line that is not valid JSON (or not the expected shape)
};

// "missing_image", ... as listed above.
std::string_view problem_kind_name(ProblemKind kind);

// One thing wrong with one row, in terms a person can act on.
struct Problem {
  std::string file;      // the data file, relative to the dataset root ("" = the dataset itself)
  int64_t row = -1;      // 0-based row within `file` (-1: the file as a whole)
  ProblemKind kind = ProblemKind::bad_json;  // what is wrong
  std::string message;   // one sentence: what and where (key, image path, line:column)
  int64_t line = 0;      // bad_json: 1-based line of the error (0: not applicable)
  int64_t column = 0;    // bad_json: 1-based column (0: not applicable)
};

// One turn as the row wrote it, roles mapped through the dataset's tags.
struct Turn {
  std::string role;     // "system", "user", "assistant", or the tag as written when it maps to none
  std::string content;  // UTF-8 (invalid bytes replaced by U+FFFD; see Record::bad_encoding)
};

// One image reference of a row.
struct ImageRef {
  std::string written;          // as the row wrote it (path, file:// URL, or name)
  std::filesystem::path path;   // the file it resolves to; empty when no candidate exists
  int64_t width = 0;            // pixels, when the format states it (COCO) or once probed; 0 = unknown
  int64_t height = 0;           // pixels
};

// One sample: a conversation whose text marks each image with `<image>`.
struct Record {
  std::string file;              // data file relative to the dataset root (the caption .txt, the JSON file)
  int64_t row = 0;               // 0-based row within `file`
  std::string dataset;           // the dataset_info.json name it belongs to ("" for other formats)
  std::string system;            // system prompt ("" = the template's default)
  std::vector<Turn> turns;       // in order; a leading system turn is moved to `system`
  std::vector<ImageRef> images;  // what the `<image>` markers stand for, in order
  std::string caption;           // image_captions / coco_captions: the caption (CLIP trains on it)
  bool bad_encoding = false;     // some text had invalid UTF-8
  std::optional<std::string> rejected;  // preference rows (ranking datasets): the rejected answer; the
                                        // chosen one is the last (assistant) turn, so the row reads as
                                        // its chosen conversation everywhere else
};

// One data file of a dataset (a dataset_info.json entry may name several).
struct DataFile {
  std::string name;               // dataset_info.json name ("" for other formats)
  std::filesystem::path path;     // the file
  std::string formatting;         // "sharegpt", "alpaca", "openai_messages", "captions", "coco"
  int64_t rows = 0;               // rows read (including bad ones)
  bool ranking = false;           // a preference dataset: its rows pair a chosen and a rejected answer
};

// A dataset read into memory: text and image paths only.
struct Dataset {
  DatasetFormat format = DatasetFormat::sharegpt;  // what was detected (or asked for)
  std::string detected_because;   // why: "dataset_info.json names 2 datasets (sharegpt)", ...
  std::filesystem::path root;     // the folder relative paths are shown from
  std::vector<DataFile> files;    // the files read
  std::vector<Record> records;    // every row, bad ones included (a row that is not a JSON object
                                  // has no record, only its bad_json problem)
  std::vector<Problem> problems;  // what reading found: bad_json, bad_encoding, and missing_image for
                                  // references that name no file by design (data:, http URLs);
                                  // unknown roles are validation's to report
  int64_t uncaptioned_images = 0;  // image_captions: images left out because no same-named .txt exists
};

// How to read a dataset.
struct OpenOptions {
  std::optional<DatasetFormat> format;  // force a format instead of detecting it
  std::vector<std::string> datasets;    // llamafactory: the dataset_info.json names to read (empty = all)
  std::string caption_prompt;           // image_captions / coco_captions: the user turn before each caption ("" = the image alone)
  std::filesystem::path media_dir;      // where relative image paths are looked up first (LLaMA-Factory `media_dir`; empty = the dataset folder)
};

// Reads a dataset from a folder or a file. Throws FileError when `path` does not exist and
// FormatError when nothing there is a dataset this engine reads (the message says what was looked
// for) or when dataset_info.json itself is unreadable; problems within data files are reported in
// Dataset::problems instead.
Dataset open_dataset(const std::filesystem::path& path, const OpenOptions& options = {});

// The record as the chat templates take it: `system`, user/assistant messages, and each image's
// size (ImageRef width/height when known, else read from the file's header without decoding).
// Throws FormatError naming file and row for what a template cannot take (an unknown role, a
// missing or unreadable image).
text::Conversation to_conversation(const Record& record);

// Pixel size of an image file from its header (PNG, JPEG, WebP, BMP, GIF; other formats OpenCV
// reads are decoded when built with image I/O). Throws FileError / FormatError naming the file.
text::ImageSize probe_image_size(const std::filesystem::path& path);

}  // namespace vltune::data
