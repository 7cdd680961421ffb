#pragma once
// LLaMA-Factory's alpaca formatting: {"instruction", "input", "output"} rows, optional "history"
// of earlier [prompt, response] pairs, "system" and "images" (keys configurable with
// dataset_info.json "columns"). Converted as LLaMA-Factory's AlpacaDatasetConverter does: the
// history's turns, then one user turn "instruction\ninput" (only the non-empty parts), then the
// output as the assistant turn when it is a string.
//
// Ranking (preference) rows, LLaMA-Factory's alpaca pairwise layout and RLAIF-V's
// (question/chosen/rejected/image): the chosen text is the assistant turn (the response column is
// not read) and the rejected one Record::rejected (always set: "" when unreadable, which
// validation reports). A ranking row that names images but writes no `<image>` marker (RLAIF-V)
// gets one marker per image before its prompt, where a single-image question means it.

#include <filesystem>
#include <string>

#include "core/data/dataset.h"
#include "core/data/readers/reader_common.h"

namespace vltune::data {

// Which keys of a row hold what (dataset_info.json "columns"); LLaMA-Factory's defaults.
struct AlpacaColumns {
  std::string prompt = "instruction";  // the instruction
  std::string query = "input";         // more input, joined to the instruction with "\n"
  std::string response = "output";     // the answer
  std::string history;                 // earlier [prompt, response] pairs ("" = none, as LLaMA-Factory)
  std::string system;                  // a per-row system prompt ("" = none, as LLaMA-Factory)
  std::string images = "images";       // image paths (LLaMA-Factory: none unless named; see llamafactory_reader.h)
  std::string chosen;                  // ranking datasets: the preferred answer's text ("" = not a ranking dataset)
  std::string rejected;                // ranking datasets: the rejected answer's text
};

// Reads one alpaca data file into `out`: a Record per row, problems for what cannot be read, and
// its DataFile. `dataset` is the dataset_info.json name ("" for a bare file).
void read_alpaca_file(const std::filesystem::path& path, const std::string& dataset, const AlpacaColumns& columns,
                      const ReadContext& context, Dataset& out);

}  // namespace vltune::data
