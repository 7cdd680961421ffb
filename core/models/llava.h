#pragma once
// LLaVA-1.5 for conditional generation (llava/modeling_llava.py): the CLIP vision tower's hidden
// state at `vision_feature_layer` (-2; a list concatenates several), the class token dropped for
// the "default" select strategy ("full" keeps it), the two-layer projector
// (linear_2(act(linear_1(x)))), the features placed at the `<image>` token positions of the
// embedded text, the Llama decoder and lm_head. Registered under the names of these fixtures'
// checkpoints with shorter prefixes: vision_tower.*, multi_modal_projector.*, language_model.*
// (the LlamaModel), lm_head.weight; load_llava() maps every Hub layout onto them.

#include <filesystem>
#include <vector>

#include <torch/torch.h>

#include "core/io/hf_config.h"
#include "core/models/clip_vision.h"
#include "core/models/greedy.h"
#include "core/models/kv_cache.h"
#include "core/models/packed_rows.h"
#include "core/models/text_decoder.h"

namespace vltune::models {

// The inputs of one forward pass (what the processor and the chat template produce).
struct LlavaInputs {
  torch::Tensor input_ids;       // [B, T] int64, each image's tokens as image_token_id
  torch::Tensor attention_mask;  // [B, T] 0/1 (undefined: all ones); right padding
  torch::Tensor pixel_values;    // [N, C, H, W] float, images in the order their tokens appear (undefined: none)
  torch::Tensor host_input_ids;  // input_ids on the CPU, where the image tokens are found (undefined: read back)
  PackedRows packed;                  // several samples per row (undefined segments: one)
};

class LlavaProjectorImpl : public torch::nn::Module {
 public:
  LlavaProjectorImpl(int64_t vision_width, int64_t text_hidden, std::string act, bool bias);
  // x: [..., vision_width] -> [..., text_hidden]
  torch::Tensor forward(const torch::Tensor& x);

  lora::LoraLinear linear_1{nullptr}, linear_2{nullptr};

 private:
  std::string m_act;
};
TORCH_MODULE(LlavaProjector);

class LlavaImpl : public torch::nn::Module {
 public:
  explicit LlavaImpl(const io::ModelConfig& config);

  // The projected image features. pixel_values: [N, C, H, W] -> [N, tokens per image, hidden]
  torch::Tensor image_features(const torch::Tensor& pixel_values);

  // Token embeddings with the image tokens replaced by the image features. -> [B, T, hidden]
  torch::Tensor embed(const LlavaInputs& inputs);

  // LlamaModel's positions: 0..T-1 in every row (the reference ignores right padding); packed rows count
  // from 0 in each sample. -> [B, T]
  torch::Tensor position_ids(const LlavaInputs& inputs) const;

  // The decoder's final hidden states, before lm_head (the training loss applies lm_head in
  // chunks, core/lora/chunked_loss.h). -> [B, T, hidden]
  torch::Tensor hidden_states(const LlavaInputs& inputs);
  // -> logits [B, T, vocab]
  torch::Tensor forward(const LlavaInputs& inputs);

  // Generation, batch 1, in two halves: prefill() runs the prompt (images included) through the
  // decoder, its keys/values into `cache`; decode_step() runs one new token after it. The step
  // refers to this module: it must outlive the step.
  Prefill prefill(const LlavaInputs& prompt, KvCache& cache);
  DecodeStep decode_step();

  // Greedy decoding with a KV cache over those two, batch 1: the prompt plus up to
  // `max_new_tokens`, stopping after any of `eos_ids`. -> [1, T + new]
  torch::Tensor generate_greedy(const LlavaInputs& prompt, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids);

  int64_t image_token_id() const { return m_image_token_id; }

  ClipVisionTransformer vision_tower{nullptr};
  LlavaProjector multi_modal_projector{nullptr};
  TextDecoder language_model{nullptr};
  lora::LoraLinear lm_head{nullptr};

 private:
  int64_t m_image_token_id;
  std::vector<int64_t> m_feature_layers;
  bool m_keep_cls;
};
TORCH_MODULE(Llava);

// Loads config.json and the weights of a LLaVA-1.5 checkpoint folder (single file or sharded,
// any float dtype; the llava-hf Hub layout, transformers >= 4.52's model.* layout, or these
// fixtures' one) into a model on the CPU with its parameters in `dtype`; .to() it afterwards. Throws FileError /
// FormatError naming the folder, the file and the tensor.
Llava load_llava(const std::filesystem::path& folder, torch::Dtype dtype = torch::kFloat32);

}  // namespace vltune::models
