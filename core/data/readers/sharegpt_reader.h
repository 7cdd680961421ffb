#pragma once
// LLaMA-Factory's sharegpt formatting: each row a list of turns {"from": "human", "value": "..."}
// with `<image>` markers in the text and an "images" list; keys and role names configurable
// (dataset_info.json "columns" and "tags"). Converted as LLaMA-Factory's SharegptDatasetConverter
// does: a leading turn with the system tag is the system prompt, otherwise the system column.
// Roles map through the tags (user, assistant, observation, function, system); a role that
// matches no tag is kept as written, and validation reports it as unknown_role.
//
// Ranking (preference) rows, LLaMA-Factory's sharegpt pairwise layout: the turns end with the
// user's, and "chosen" and "rejected" each hold one assistant turn ({"from": "gpt", "value": ...};
// a plain string is taken as the answer too). The chosen turn ends Record::turns, the rejected
// answer goes to Record::rejected (always set for such rows: "" when it could not be read, which
// validation reports). An answer whose role is not the assistant's is a problem naming it.

#include <filesystem>
#include <string>

#include "core/data/dataset.h"
#include "core/data/readers/reader_common.h"

namespace vltune::data {

// Which keys of a row hold what (dataset_info.json "columns"); LLaMA-Factory's defaults.
struct SharegptColumns {
  std::string messages = "conversations";  // the list of turns
  std::string system;                      // a per-row system prompt ("" = none, as LLaMA-Factory)
  std::string images = "images";           // image paths (LLaMA-Factory: none unless named; see llamafactory_reader.h)
  std::string chosen;                      // ranking datasets: the preferred answer, one turn ("" = not a ranking dataset)
  std::string rejected;                    // ranking datasets: the rejected answer, one turn
};

// How turns name their role and text (dataset_info.json "tags"); LLaMA-Factory's defaults.
struct SharegptTags {
  std::string role_tag = "from";                // key of a turn's role
  std::string content_tag = "value";            // key of a turn's text
  std::string user_tag = "human";               // role of user turns
  std::string assistant_tag = "gpt";            // role of assistant turns
  std::string observation_tag = "observation";  // role of tool results (kept as "observation")
  std::string function_tag = "function_call";   // role of tool calls (kept as "function")
  std::string system_tag = "system";            // role of a system turn
};

// Reads one sharegpt data file into `out`: a Record per row, problems for what cannot be read,
// and its DataFile. `dataset` is the dataset_info.json name ("" for a bare file).
void read_sharegpt_file(const std::filesystem::path& path, const std::string& dataset,
                        const SharegptColumns& columns, const SharegptTags& tags,
                        const ReadContext& context, Dataset& out);

}  // namespace vltune::data
