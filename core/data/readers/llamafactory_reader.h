#pragma once
// LLaMA-Factory's dataset folder: dataset_info.json names datasets, each a local file (or a folder
// of .json/.jsonl files) in sharegpt or alpaca formatting with optional "columns" and "tags", read
// as LLaMA-Factory's parser.py and converter.py read them: without "columns" (or "tags") the
// defaults apply; with them, what they leave out is no column (no tag), except the list of turns,
// its role and content keys, and "images", which keep their defaults. Datasets on a hub (hf_hub_url,
// ms_hub_url, om_hub_url, script_url, cloud_file_name) are not downloaded: they are named in a
// problem. A dataset whose files cannot be read costs itself, not the others. Ranking datasets
// ("ranking": true) are read as preference pairs (sharegpt_reader.h, alpaca_reader.h); their
// "chosen" and "rejected" columns keep those names when "columns" does not give them.

#include <filesystem>
#include <string>

#include "core/data/dataset.h"

namespace vltune::data {

// Reads the datasets `folder`/dataset_info.json names (all, or options.datasets) into `out`.
// Returns what was read, for Dataset::detected_because ("names 2 datasets; read 2: a
// (sharegpt), b (alpaca)"). Throws FormatError naming the file (with line and column) when
// dataset_info.json is not valid JSON or an entry is malformed, when options.datasets names a
// dataset it does not list, and when none of the datasets could be read.
std::string read_llamafactory(const std::filesystem::path& folder, const OpenOptions& options, Dataset& out);

}  // namespace vltune::data
