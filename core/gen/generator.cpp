#include "core/gen/generator.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/data/batch_inputs.h"
#include "core/error.h"
#include "core/gen/logits_processors.h"
#include "core/gen/stop_strings.h"
#include "core/lora/lora_model.h"
#include "core/text/decode_stream.h"

namespace vltune::gen {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

template <typename Model, typename Inputs>
DecodeModel family_decode_model(Model m, Inputs inputs) {
  DecodeModel out;
  out.prompt_ids = inputs.input_ids;
  out.step = m->decode_step();
  // The holder keeps the module alive as long as this function object.
  out.prefill = [m, inputs = std::move(inputs)](models::KvCache& cache) mutable { return m->prefill(inputs, cache); };
  return out;
}

}  // namespace

const char* to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::eos: return "eos";
    case FinishReason::stop_string: return "stop_string";
    case FinishReason::length: return "length";
    case FinishReason::cancelled: return "cancelled";
  }
  return "?";
}

GenerationResult generate(const DecodeModel& model, const text::Tokenizer& tokenizer, const GenerationParams& params,
                          const TokenCallback& on_token, std::stop_token stop) {
  validate(params);
  const auto start = Clock::now();
  GenerationResult result;
  auto emit = [&](int64_t id, int64_t index, std::string text) {
    result.text += text;
    if (on_token) on_token(TokenEvent{id, index, std::move(text)});
  };
  if (stop.stop_requested() || params.max_new_tokens == 0) {
    result.finish = stop.stop_requested() ? FinishReason::cancelled : FinishReason::length;
    return result;
  }

  torch::NoGradGuard no_grad;
  models::KvCache cache;
  const models::Prefill prefill = model.prefill(cache);
  if (stop.stop_requested()) {  // while the prompt (maybe many images) ran
    result.finish = FinishReason::cancelled;
    result.prefill_seconds = seconds(Clock::now() - start);
    return result;
  }
  TokenSampler sampler(params, model.prompt_ids);
  text::DecodeStream stream(tokenizer, /*skip_special=*/true);
  StopStringFilter stops(params.stop_strings);
  const int64_t t = prefill.hidden.size(1);
  // The mask of every position decoding can reach, made once: step n takes its first T + n + 1.
  const auto mask = torch::cat({prefill.mask, torch::ones({1, params.max_new_tokens}, prefill.mask.options())},
                               /*dim=*/1);                     // [1, T + max_new_tokens]
  auto hidden = prefill.hidden.narrow(1, t - 1, 1);            // [1, 1, hidden]
  int64_t position = prefill.next_position;
  Clock::time_point first_token;
  std::optional<FinishReason> finish;
  for (int64_t n = 0;; ++n) {
    const auto token = sampler.next(model.step.head(hidden).select(/*dim=*/1, 0));  // logits [1, V] -> [1, 1]
    const int64_t id = token.item<int64_t>();  // the one host sync of a token
    if (n == 0) first_token = Clock::now();
    result.token_ids.push_back(id);
    std::string piece;
    if (std::find(params.stop_ids.begin(), params.stop_ids.end(), id) != params.stop_ids.end()) {
      finish = FinishReason::eos;  // its text is never shown, special token or not
    } else {
      auto out = stops.push(stream.push(static_cast<text::TokenId>(id)));
      piece = std::move(out.text);
      if (out.stopped) finish = FinishReason::stop_string;
    }
    if (!finish && n + 1 == params.max_new_tokens) finish = FinishReason::length;
    emit(id, n, std::move(piece));
    if (finish) break;
    if (stop.stop_requested()) {
      finish = FinishReason::cancelled;
      break;
    }
    hidden = model.step.step(token, position++, mask.narrow(1, 0, t + n + 1), cache);  // [1, 1, hidden]
  }

  if (*finish != FinishReason::stop_string) {
    // What was held back: half a character at the very end (U+FFFD), or the start of a stop string
    // that never completed. (Should that last character complete a stop string, the text is cut
    // there too; the finish reason stays what stopped generation.)
    auto out = stops.push(stream.finish());
    std::string rest = std::move(out.text);
    if (!out.stopped) rest += stops.finish();
    if (!rest.empty()) emit(-1, static_cast<int64_t>(result.token_ids.size()), std::move(rest));
  }
  result.finish = *finish;
  if (result.finish == FinishReason::stop_string) result.stop_string = stops.matched();
  const auto end = Clock::now();
  result.prefill_seconds = seconds(first_token - start);
  result.decode_seconds = seconds(end - first_token);
  const auto decoded = static_cast<double>(result.token_ids.size()) - 1;
  result.tokens_per_second = decoded > 0 && result.decode_seconds > 0 ? decoded / result.decode_seconds : 0.0;
  return result;
}

DecodeModel decode_model(lora::LoraModel& model, const data::Batch& prompt) {
  if (!prompt.input_ids.defined() || prompt.input_ids.dim() != 2 || prompt.input_ids.size(0) != 1)
    throw Error("generation takes a batch of one prompt, got input_ids of shape " +
                (prompt.input_ids.defined() ? c10::str(prompt.input_ids.sizes()) : std::string("(none)")));
  // Decoding appends after the last position: right padding would sit between prompt and answer.
  if (prompt.attention_mask.defined() && prompt.attention_mask.min().item<int64_t>() == 0)
    throw Error("the prompt to generate from is padded (attention_mask has zeros)");
  const auto dev = model.device();
  DecodeModel out;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, models::QwenVL>) out = family_decode_model(m, data::qwen_inputs(prompt, dev));
        else if constexpr (std::is_same_v<M, models::Llava>) out = family_decode_model(m, data::llava_inputs(prompt, dev));
        else if constexpr (std::is_same_v<M, models::Idefics3>) out = family_decode_model(m, data::idefics3_inputs(prompt, dev));
        else throw Error("CLIP has no text decoder to generate with");
      },
      model.model());
  return out;
}

GenerationResult generate(lora::LoraModel& model, const data::Batch& prompt, const text::Tokenizer& tokenizer,
                          const GenerationParams& params, const TokenCallback& on_token, std::stop_token stop) {
  validate(params);
  // Dropout off while generating; the caller's mode (training, between steps) comes back after.
  struct ModeGuard {
    torch::nn::Module& m;
    bool was_training;
    ~ModeGuard() { m.train(was_training); }
  } guard{model.module(), model.module().is_training()};
  model.module().eval();
  return generate(decode_model(model, prompt), tokenizer, params, on_token, std::move(stop));
}

}  // namespace vltune::gen
