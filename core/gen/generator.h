#pragma once
// Generation for one prompt: prefill (images included), then decoding with a KV cache; each
// token chosen by transformers' processors (logits_processors.h), streamed as text through a
// callback (text::DecodeStream, stop strings held back), stopped by a stop id, a stop string,
// max_new_tokens, or the stop token, which is checked before every token.
//
//   gen::GenerationParams params = gen::read_generation_params(model_dir);
//   model.set_active_adapters({});            // the base model; {"default"} for the adapted one
//   auto result = gen::generate(model, prompt, tokenizer, params,
//                               [](const gen::TokenEvent& e) { std::cout << e.text; }, stop_source.get_token());
//
// What comes back: every new token id, the stopping one included (a stop id, or the token that
// completed a stop string), as transformers' generate() returns them; the text leaves out special
// tokens, the stop id and a stop string with anything after it, and is exactly the streamed
// pieces joined.

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data/collate.h"
#include "core/gen/generation_params.h"
#include "core/models/greedy.h"
#include "core/text/tokenizer.h"

namespace vltune::lora {
class LoraModel;
}

namespace vltune::gen {

enum class FinishReason {
  eos,          // a stop id (eos_token_id) came
  stop_string,  // the text reached a stop string
  length,       // max_new_tokens
  cancelled,    // the stop token was triggered
};
// "eos", "stop_string", "length", "cancelled"
const char* to_string(FinishReason reason);

// One call of the streaming callback.
struct TokenEvent {
  int64_t token_id = -1;  // the new token; -1 on the last call, which only hands over held-back text
  int64_t index = 0;      // its index among the new tokens (on the last call: how many there were)
  std::string text;       // the text it completes; may be empty (half a character, a possible stop string)
};
// Called on the generating thread, once per new token and, when text was held back at the end,
// once more with token_id -1. It may trigger the stop token.
using TokenCallback = std::function<void(const TokenEvent&)>;

struct GenerationResult {
  std::vector<int64_t> token_ids;  // the new tokens, the stopping one included
  std::string text;                // their text: special tokens, the stop id and a stop string left out
  FinishReason finish = FinishReason::length;
  std::string stop_string;         // the one that ended it (finish == stop_string)
  double prefill_seconds = 0;      // from the call to the first token's id: time to first token
  double decode_seconds = 0;       // from the first token's id to the last's
  double tokens_per_second = 0;    // decoding speed: tokens after the first / decode_seconds (0 below 2 tokens)
  bool cuda_graph = false;         // the decode steps replayed a captured CUDA graph
  std::vector<torch::Tensor> logits;  // with params.output_logits: each new token's raw logits [1, V], float32, on the CPU
};

// How the decode steps after the prompt run.
enum class StepShapes {
  automatic,  // CUDA: static, in a CUDA graph (unless VLTUNE_CUDA_GRAPHS=0); CPU: growing
  growing,    // attention over the keys cached so far: shapes change every token, least work
  fixed,      // attention over the whole cache, masked: the same shapes and addresses every token
  graph,      // fixed, captured in a CUDA graph once and replayed (on the CPU: fixed)
};

// A decoder ready to generate from one prompt, whatever the family.
struct DecodeModel {
  torch::Tensor prompt_ids;                                   // [1, T] int64 on the model's device
  std::function<models::Prefill(models::KvCache&)> prefill;  // runs the prompt (images included) into the cache
  models::DecodeStep step;                                    // one new token after it
  StepShapes shapes = StepShapes::automatic;                  // how the steps run (the tokens are the same)
};

// One generation in progress, a token at a time: compare mode interleaves several on one model,
// switching adapters between their steps. generate() is start() and advance() until false.
class Decoding {
 public:
  // `tokenizer` must outlive it; nullptr: token ids only, no text and no stop strings (benchmarks
  // on random weights, whose ids no tokenizer has). Throws vltune::Error for invalid params.
  Decoding(DecodeModel model, const text::Tokenizer* tokenizer, GenerationParams params, TokenCallback on_token = {});
  ~Decoding();
  Decoding(const Decoding&) = delete;
  Decoding& operator=(const Decoding&) = delete;

  // Runs the prompt (images included) into the cache. -> false when it already finished
  // (max_new_tokens 0, or cancelled before or during the prompt).
  bool start(std::stop_token stop = {});
  // Chooses and streams the next token (running the previous one through the decoder first).
  // -> false once finished (by this token, or cancelled before its step).
  bool advance(std::stop_token stop = {});
  bool finished() const { return m_finished; }
  // The result so far; complete once finished().
  const GenerationResult& result() const { return m_result; }

 private:
  struct State;
  void finish(FinishReason reason);

  DecodeModel m_model;
  const text::Tokenizer* m_tokenizer;
  GenerationParams m_params;
  TokenCallback m_on_token;
  std::unique_ptr<State> m_state;
  GenerationResult m_result;
  bool m_started = false;
  bool m_finished = false;
};

// Generates after `model`'s prompt. `tokenizer` decodes the streamed text (special tokens
// skipped). Runs without autograd; the caller sets eval mode. Throws vltune::Error for invalid
// params (validate()), and whatever the model throws.
GenerationResult generate(const DecodeModel& model, const text::Tokenizer& tokenizer, const GenerationParams& params,
                          const TokenCallback& on_token = {}, std::stop_token stop = {});

// The DecodeModel of a LoRA model's family for `prompt`: a batch of one row without padding
// (collate() of data::SampleEncoder::encode_prompt), moved to the model's device. It runs with the
// adapters active when it runs. Throws vltune::Error for CLIP (no decoder) or a batch of more rows.
DecodeModel decode_model(lora::LoraModel& model, const data::Batch& prompt);

// Dropout off (eval mode) while it lives; the model's mode before (training, between steps) after.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(lora::LoraModel& model);
  ~EvalModeGuard();
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  torch::nn::Module& m_module;
  bool m_was_training;
};

// The app's one entry (chat, compare mode, pinned samples): generate() on `model` as it is now
// (its active adapters and scale), in eval mode (the training mode comes back after).
GenerationResult generate(lora::LoraModel& model, const data::Batch& prompt, const text::Tokenizer& tokenizer,
                          const GenerationParams& params, const TokenCallback& on_token = {}, std::stop_token stop = {});

}  // namespace vltune::gen
