#include "core/lora/decoder_pass.h"

#include <type_traits>
#include <variant>

#include "core/data/batch_inputs.h"
#include "core/error.h"

namespace vltune::lora {

DecoderPass decoder_hidden_states(FamilyModel& model, const data::Batch& batch, const torch::Device& device) {
  DecoderPass out;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, models::QwenVL>) out = {m->hidden_states(data::qwen_inputs(batch, device)), m->lm_head.get()};
        else if constexpr (std::is_same_v<M, models::Llava>) out = {m->hidden_states(data::llava_inputs(batch, device)), m->lm_head.get()};
        else if constexpr (std::is_same_v<M, models::Idefics3>) out = {m->hidden_states(data::idefics3_inputs(batch, device)), m->lm_head.get()};
        else throw Error("CLIP has no causal decoder: no hidden states to send through a language-model head");
      },
      model);
  return out;
}

}  // namespace vltune::lora
