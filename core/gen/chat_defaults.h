#pragma once
// What a chat model generates with before the user changes anything: generation_config.json's
// settings, stopping at its EOS ids and at the chat template's EOS (an instruct model whose
// generation_config names only <|endoftext|> still ends a turn with <|im_end|>). Chat, captions,
// prediction and pinned samples all start from these, so they stop at the same tokens.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/data/sample_encoder.h"
#include "core/gen/generation_params.h"

namespace vltune::gen {

// The stop ids of a chat model: generation_config.json's eos_token_id(s) in `model_dir` (when the
// file exists) and the template's EOS, without duplicates, in that order.
std::vector<int64_t> chat_eos_ids(const std::filesystem::path& model_dir, const data::SampleEncoder& encoder);

// read_generation_params(model_dir) with stop_ids = chat_eos_ids(model_dir, encoder).
GenerationParams chat_generation_defaults(const std::filesystem::path& model_dir, const data::SampleEncoder& encoder);

}  // namespace vltune::gen
