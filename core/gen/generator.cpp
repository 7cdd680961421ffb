#include "core/gen/generator.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/data/batch_inputs.h"
#include "core/error.h"
#include "core/gen/fixed_shape_decode.h"
#include "core/gen/logits_processors.h"
#include "core/gen/stop_strings.h"
#include "core/lora/lora_model.h"
#include "core/text/decode_stream.h"

namespace vltune::gen {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// What `automatic` means on `device`.
StepShapes resolved(StepShapes shapes, const torch::Device& device) {
  if (shapes != StepShapes::automatic) return shapes;
  return device.is_cuda() && cuda_graphs_allowed() ? StepShapes::graph : StepShapes::growing;
}

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

struct Decoding::State {
  models::KvCache cache;
  std::optional<TokenSampler> sampler;
  std::optional<text::DecodeStream> stream;
  std::optional<StopStringFilter> stops;
  std::unique_ptr<FixedShapeDecode> fixed;  // the steps with fixed shapes (else growing ones)
  torch::Tensor mask;     // [1, T + max_new_tokens]: every position a growing step can reach, made once
  torch::Tensor hidden;   // [1, 1, hidden]: the prompt's last hidden state, scored first
  torch::Tensor token;    // [1, 1]: the last token, run through the decoder by the next advance()
  torch::Tensor launched; // [1, V]: fixed-shape steps, the logits of the step launched with `token`
  int64_t prompt_length = 0;
  int64_t position = 0;   // rotary position of `token` (growing steps)
  Clock::time_point started, first_token;
};

Decoding::Decoding(DecodeModel model, const text::Tokenizer* tokenizer, GenerationParams params, TokenCallback on_token)
    : m_model(std::move(model)), m_tokenizer(tokenizer), m_params(std::move(params)), m_on_token(std::move(on_token)) {
  validate(m_params);
  if (!m_tokenizer && !m_params.stop_strings.empty()) throw Error("stop strings need a tokenizer to read the text");
}

Decoding::~Decoding() = default;

void Decoding::finish(FinishReason reason) {
  m_finished = true;
  m_result.finish = reason;
  if (!m_state || !m_state->sampler) return;  // nothing decoded
  State& st = *m_state;
  if (reason != FinishReason::stop_string && st.stream) {
    // What was held back: half a character at the very end (U+FFFD), or the start of a stop string
    // that never completed. (Should that last character complete a stop string, the text is cut
    // there too; the finish reason stays what stopped generation.)
    auto out = st.stops->push(st.stream->finish());
    std::string rest = std::move(out.text);
    if (!out.stopped) rest += st.stops->finish();
    if (!rest.empty()) {
      m_result.text += rest;
      if (m_on_token) m_on_token(TokenEvent{-1, static_cast<int64_t>(m_result.token_ids.size()), std::move(rest)});
    }
  } else if (reason == FinishReason::stop_string) {
    m_result.stop_string = st.stops->matched();
  }
  m_result.cuda_graph = st.fixed && st.fixed->graphed();
  const auto end = Clock::now();
  m_result.prefill_seconds = seconds(st.first_token - st.started);
  m_result.decode_seconds = seconds(end - st.first_token);
  const auto decoded = static_cast<double>(m_result.token_ids.size()) - 1;
  m_result.tokens_per_second = decoded > 0 && m_result.decode_seconds > 0 ? decoded / m_result.decode_seconds : 0.0;
}

bool Decoding::start(std::stop_token stop) {
  if (m_started) throw Error("generation already started");
  m_started = true;
  const auto started = Clock::now();
  if (stop.stop_requested() || m_params.max_new_tokens == 0) {
    finish(stop.stop_requested() ? FinishReason::cancelled : FinishReason::length);
    return false;
  }
  torch::NoGradGuard no_grad;
  m_state = std::make_unique<State>();
  State& st = *m_state;
  st.started = started;
  // Written in place, never regrown. Rounded up to a multiple of 16 positions: once static, the
  // attention mask spans the whole capacity, and CUDA's memory-efficient attention pads a copy of
  // a mask whose rows aren't 16-aligned, in every layer of every step. The extra slots stay masked.
  const int64_t needed = m_model.prompt_ids.size(1) + m_params.max_new_tokens;
  st.cache.reserve((needed + 15) / 16 * 16);
  const models::Prefill prefill = m_model.prefill(st.cache);
  if (stop.stop_requested()) {  // while the prompt (maybe many images) ran
    m_finished = true;
    m_result.finish = FinishReason::cancelled;
    m_result.prefill_seconds = seconds(Clock::now() - started);
    return false;
  }
  st.sampler.emplace(m_params, m_model.prompt_ids);
  if (m_tokenizer) st.stream.emplace(*m_tokenizer, /*skip_special=*/true);
  st.stops.emplace(m_params.stop_strings);
  st.prompt_length = prefill.hidden.size(1);
  st.hidden = prefill.hidden.narrow(1, st.prompt_length - 1, 1);  // [1, 1, hidden]
  const StepShapes shapes = resolved(m_model.shapes, prefill.hidden.device());
  if (shapes == StepShapes::growing) {
    st.mask = torch::cat({prefill.mask, torch::ones({1, m_params.max_new_tokens}, prefill.mask.options())}, /*dim=*/1);
    st.position = prefill.next_position;
  } else if (m_params.max_new_tokens > 1) {
    st.fixed = std::make_unique<FixedShapeDecode>(m_model.step, st.cache, prefill.mask, prefill.next_position,
                                                  /*cuda_graph=*/shapes == StepShapes::graph);
  }
  return true;
}

bool Decoding::advance(std::stop_token stop) {
  if (!m_started) throw Error("generation not started");
  if (m_finished) return false;
  torch::NoGradGuard no_grad;
  State& st = *m_state;
  const auto n = static_cast<int64_t>(m_result.token_ids.size());
  torch::Tensor logits;  // [1, V]
  if (n > 0 && stop.stop_requested()) {
    finish(FinishReason::cancelled);
    return false;
  }
  if (n == 0) {
    logits = m_model.step.head(st.hidden).select(/*dim=*/1, 0);  // the prompt's last position
  } else if (st.fixed) {
    logits = st.launched;  // the step the last advance() launched with its token
  } else {
    const auto position = torch::full({1, 1}, st.position++, st.token.options());
    const auto hidden = m_model.step.step(st.token, position, st.mask.narrow(1, 0, st.prompt_length + n), st.cache);  // [1, 1, hidden]
    logits = m_model.step.head(hidden).select(/*dim=*/1, 0);
  }
  if (m_params.output_logits) m_result.logits.push_back(logits.to(torch::kCPU, torch::kFloat32));
  st.token = st.sampler->next(logits);  // [1, 1]
  // Fixed-shape steps from the second token on: the next step is launched before this token is
  // read, so the device runs it while the host reads the token, streams its text and decides
  // whether to stop (when it does, that step was for nothing). Its copy is the one host wait of
  // a token. The first token is read first: its time is the time to the first token.
  const bool more = st.fixed && n + 1 < m_params.max_new_tokens;
  const bool ahead = more && n > 0;
  if (ahead) st.launched = st.fixed->next(st.token);
  const int64_t id = ahead ? st.fixed->token_id() : st.token.item<int64_t>();
  if (n == 0) st.first_token = Clock::now();
  m_result.token_ids.push_back(id);
  std::string piece;
  std::optional<FinishReason> reason;
  if (std::find(m_params.stop_ids.begin(), m_params.stop_ids.end(), id) != m_params.stop_ids.end()) {
    reason = FinishReason::eos;  // its text is never shown, special token or not
  } else if (st.stream) {
    auto out = st.stops->push(st.stream->push(static_cast<text::TokenId>(id)));
    piece = std::move(out.text);
    if (out.stopped) reason = FinishReason::stop_string;
  }
  if (!reason && n + 1 == m_params.max_new_tokens) reason = FinishReason::length;
  m_result.text += piece;
  if (m_on_token) m_on_token(TokenEvent{id, n, std::move(piece)});
  if (reason) {
    finish(*reason);
    return false;
  }
  if (more && !ahead) st.launched = st.fixed->next(st.token);
  return true;
}

GenerationResult generate(const DecodeModel& model, const text::Tokenizer& tokenizer, const GenerationParams& params,
                          const TokenCallback& on_token, std::stop_token stop) {
  Decoding decoding(model, &tokenizer, params, on_token);
  if (decoding.start(stop))
    while (decoding.advance(stop)) {
    }
  return decoding.result();
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

EvalModeGuard::EvalModeGuard(lora::LoraModel& model) : m_module(model.module()), m_was_training(m_module.is_training()) {
  m_module.eval();
}

EvalModeGuard::~EvalModeGuard() { m_module.train(m_was_training); }

GenerationResult generate(lora::LoraModel& model, const data::Batch& prompt, const text::Tokenizer& tokenizer,
                          const GenerationParams& params, const TokenCallback& on_token, std::stop_token stop) {
  validate(params);
  // Dropout off while generating; the caller's mode (training, between steps) comes back after.
  EvalModeGuard eval_mode(model);
  return generate(decode_model(model, prompt), tokenizer, params, on_token, std::move(stop));
}

}  // namespace vltune::gen
