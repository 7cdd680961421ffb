#include "core/models/llava.h"

#include <algorithm>

#include "core/device_transfer.h"
#include "core/error.h"
#include "core/lora/linear_init.h"
#include "core/io/checkpoint.h"
#include "core/models/blocks.h"
#include "core/models/family_layout.h"
#include "core/models/greedy.h"
#include "core/models/image_slots.h"
#include "core/models/weight_loader.h"

namespace vltune::models {

LlavaProjectorImpl::LlavaProjectorImpl(int64_t vision_width, int64_t text_hidden, std::string act, bool bias)
    : m_act(std::move(act)) {
  check_activation(m_act, "LLaVA projector");
  using torch::nn::LinearOptions;
  linear_1 = register_module("linear_1", lora::LoraLinear(LinearOptions(vision_width, text_hidden).bias(bias)));
  linear_2 = register_module("linear_2", lora::LoraLinear(LinearOptions(text_hidden, text_hidden).bias(bias)));
}

torch::Tensor LlavaProjectorImpl::forward(const torch::Tensor& x) { return linear_2(activation(m_act, linear_1(x))); }

LlavaImpl::LlavaImpl(const io::ModelConfig& config) {
  const io::LlavaConfig& c = config.llava();
  if (c.vision_feature_select_strategy != "default" && c.vision_feature_select_strategy != "full")
    throw FormatError("vision_feature_select_strategy \"" + c.vision_feature_select_strategy +
                      "\" is not supported (\"default\" or \"full\")");
  if (c.vision_feature_layers.empty()) throw FormatError("vision_feature_layer is empty");
  const int64_t depth = c.vision.num_hidden_layers;
  for (int64_t layer : c.vision_feature_layers)
    if (layer < -(depth + 1) || layer > depth)
      throw FormatError("vision_feature_layer " + std::to_string(layer) + " is outside the vision tower's " +
                        std::to_string(depth + 1) + " hidden states");
  m_image_token_id = c.image_token_id;
  m_feature_layers = c.vision_feature_layers;
  m_keep_cls = c.vision_feature_select_strategy == "full";
  const int64_t feature_width = c.vision.hidden_size * static_cast<int64_t>(c.vision_feature_layers.size());
  vision_tower = register_module("vision_tower", ClipVisionTransformer(c.vision));
  multi_modal_projector = register_module(
      "multi_modal_projector",
      LlavaProjector(feature_width, c.text.hidden_size, c.projector_hidden_act, c.multimodal_projector_bias));
  language_model = register_module("language_model", TextDecoder(c.text));
  lm_head = register_module("lm_head", lora::LoraLinear(torch::nn::LinearOptions(c.text.hidden_size, c.text.vocab_size).bias(false)));
  if (c.text.tie_word_embeddings) lm_head->weight.set_data(language_model->embed_tokens->weight.data());
}

torch::Tensor LlavaImpl::image_features(const torch::Tensor& pixel_values) {
  const ClipVisionOutput vision = vision_tower(pixel_values, /*all_hidden_states=*/true);
  const auto states = static_cast<int64_t>(vision.hidden_states.size());
  std::vector<torch::Tensor> picked;
  for (int64_t layer : m_feature_layers) {
    auto h = vision.hidden_states[static_cast<size_t>(layer < 0 ? states + layer : layer)];  // [N, 1 + patches, width]
    picked.push_back(m_keep_cls ? h : h.narrow(/*dim=*/1, /*start=*/1, h.size(1) - 1));
  }
  auto features = picked.size() == 1 ? picked[0] : torch::cat(picked, /*dim=*/-1);  // [N, tokens, width * layers]
  return multi_modal_projector(features);                                             // [N, tokens, hidden]
}

torch::Tensor LlavaImpl::embed(const LlavaInputs& inputs) {
  auto is_image = inputs.input_ids == m_image_token_id;  // [B, T]
  // The image token may lie past the embedding table (llava-hf: 32000 of 32064 rows does not, but
  // others do): embed it as 0, it is replaced anyway.
  auto ids = inputs.input_ids.masked_fill(is_image, 0);
  auto embeds = language_model->embed_tokens(ids);  // [B, T, hidden]
  const auto slots = image_token_positions(inputs.input_ids, inputs.host_input_ids, m_image_token_id);
  if (!inputs.pixel_values.defined() || inputs.pixel_values.numel() == 0) {
    if (slots.size(0) != 0)
      throw FormatError("input_ids hold " + std::to_string(slots.size(0)) + " image tokens but no images were given");
    return embeds;
  }
  auto features = image_features(inputs.pixel_values);   // [N, tokens, hidden]
  features = features.reshape({-1, features.size(-1)});  // [N * tokens, hidden]
  return fill_image_tokens(embeds, slots, features);
}

torch::Tensor LlavaImpl::position_ids(const LlavaInputs& inputs) const {
  // Packed rows: each sample counts from 0 (the position_ids of LLaMA-Factory's packed rows).
  if (inputs.packed.packed()) return to_device(positions_within_segments(inputs.packed.segment_ids), inputs.input_ids.device());
  const auto b = inputs.input_ids.size(0), t = inputs.input_ids.size(1);
  return torch::arange(t, inputs.input_ids.options().dtype(torch::kLong)).unsqueeze(0).expand({b, t});
}

torch::Tensor LlavaImpl::hidden_states(const LlavaInputs& inputs) {
  return language_model(embed(inputs), position_ids(inputs), inputs.attention_mask, nullptr,
                isolated_segments(inputs.packed));  // [B, T, hidden]
}

torch::Tensor LlavaImpl::forward(const LlavaInputs& inputs) { return lm_head(hidden_states(inputs)); }

Prefill LlavaImpl::prefill(const LlavaInputs& prompt, KvCache& cache) {
  torch::NoGradGuard no_grad;
  return sequential_prefill(language_model, embed(prompt), position_ids(prompt), prompt.attention_mask, cache);
}

DecodeStep LlavaImpl::decode_step() { return sequential_decode_step(language_model, lm_head); }

torch::Tensor LlavaImpl::generate_greedy(const LlavaInputs& prompt, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids) {
  return models::generate_greedy(
      prompt.input_ids, [&](KvCache& cache) { return prefill(prompt, cache); }, decode_step(), max_new_tokens, eos_ids);
}

Llava load_llava(const std::filesystem::path& folder, torch::Dtype dtype) {
  const io::ModelConfig config = io::read_model_config(folder);
  Llava model{nullptr};
  {
    lora::SkipLinearInit no_init;  // every linear weight comes from the checkpoint
    model = Llava(config);
  }
  const io::Checkpoint checkpoint = io::Checkpoint::open(folder);
  WeightLoadOptions options;
  options.dtype = dtype;
  // Every Hub layout (llava-hf, transformers >= 4.52, these fixtures): see family_layout.cpp.
  options.renames = checkpoint_renames(family_layout(io::ModelFamily::llava));
  // Old checkpoints carry the position_ids buffer of the CLIP embeddings.
  options.ignored_prefixes = {"vision_tower.embeddings.position_ids"};
  // The tower's post_layernorm is not used by LLaVA (it takes a hidden state before it); some
  // checkpoints leave it out.
  options.may_be_absent = {"vision_tower.post_layernorm.weight", "vision_tower.post_layernorm.bias"};
  const bool tied = config.llava().text.tie_word_embeddings;
  if (tied) options.may_be_absent.push_back("lm_head.weight");
  load_weights(*model, checkpoint, options);
  if (tied) model->lm_head->weight.set_data(model->language_model->embed_tokens->weight.data());
  model->eval();
  return model;
}

}  // namespace vltune::models
