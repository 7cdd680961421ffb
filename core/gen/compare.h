#pragma once
// Compare mode: the same question answered by the base model and by adapted ones on ONE loaded
// copy of the base weights. Each column names the adapters switched on in the LoRA layers while it
// decodes (none: the base model) and their scale; the columns decode in turns, a token each, so
// their text streams side by side, and every step runs with exactly its column's adapters on (a
// 7B model is never loaded twice). A column may also name another loaded model (a merged export).
//
//   std::vector<gen::CompareColumn> columns = {{"base", {}}, {"checkpoint-200", {"ckpt200"}}, {"final", {"default"}}};
//   auto results = gen::generate_columns(model, columns, {prompt}, tokenizer, params,
//                                        [](size_t column, const gen::TokenEvent& e) { ... });

#include <cstddef>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/data/collate.h"
#include "core/gen/generator.h"

namespace vltune::gen {

struct CompareColumn {
  std::string label;                  // shown above the column: "base", "checkpoint-200", "final"
  std::vector<std::string> adapters;  // the adapters on while it decodes (loaded on its model); empty: the base model
  double scale = 1.0;                 // multiplier on their scaling (1: as trained, 0: the base)
  lora::LoraModel* model = nullptr;   // another loaded model (a merged export); nullptr: the shared one
};

// Puts a model's active adapters and scale back as they were when it goes out of scope.
class AdapterStateGuard {
 public:
  explicit AdapterStateGuard(lora::LoraModel& model);
  ~AdapterStateGuard();
  AdapterStateGuard(const AdapterStateGuard&) = delete;
  AdapterStateGuard& operator=(const AdapterStateGuard&) = delete;

 private:
  lora::LoraModel& m_model;
  std::vector<std::string> m_active;
  double m_scale;
};

// The name an adapter loaded from `dir` takes on a model: the folder's name ("checkpoint-200"),
// other characters than letters, digits, '_' and '-' made '_', then "-2", "-3"... until it is not
// among `taken`.
std::string adapter_name_for(const std::filesystem::path& dir, const std::vector<std::string>& taken);

// Switches `model`'s LoRA layers to the column's adapters and scale (none: the base layers alone).
// Throws vltune::Error naming an adapter the model does not have.
void activate(lora::LoraModel& model, const CompareColumn& column);

// Called on the generating thread for each column's token events.
using ColumnTokenCallback = std::function<void(size_t column, const TokenEvent&)>;

// Answers `prompts` (one per column, or one for all: a batch of one row as gen::generate takes)
// with every column, interleaved token by token on `model` (or the column's own model). Each model's
// active adapters, scale and training mode are restored afterwards, also when it throws. The stop
// token cancels every column. -> one result per column, in order. Throws vltune::Error for no
// columns, a prompt count that is neither 1 nor the column count, or an unknown adapter.
std::vector<GenerationResult> generate_columns(lora::LoraModel& model, const std::vector<CompareColumn>& columns,
                                               const std::vector<data::Batch>& prompts, const text::Tokenizer& tokenizer,
                                               const GenerationParams& params, const ColumnTokenCallback& on_token = {},
                                               std::stop_token stop = {});

}  // namespace vltune::gen
