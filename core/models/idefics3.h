#pragma once
// Idefics3 / SmolVLM for conditional generation (idefics3/modeling_idefics3.py): the SigLIP-like
// vision transformer (patch conv with bias, learned position embeddings whose ids are bucketed
// over each image's real patch grid so padded tiles keep the pre-trained positions, the CLIP-style
// encoder with attention masked to real patches, post_layernorm), the pixel-shuffle connector
// (`scale_factor`^2 neighbouring patches become one token) with its `modality_projection.proj`
// linear, the features placed at the `<image>` tokens, the Llama decoder and lm_head.
// Registered under the checkpoint's names without the `model.` prefix: vision_model.*,
// connector.modality_projection.proj.weight, text_model.* (the LlamaModel), lm_head.weight;
// load_idefics3() maps the layouts onto them.

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

// The inputs of one forward pass (what the Idefics3 processor and the chat template produce).
struct Idefics3Inputs {
  torch::Tensor input_ids;             // [B, T] int64, each image token as image_token_id
  torch::Tensor attention_mask;        // [B, T] 0/1 (undefined: all ones); right padding
  torch::Tensor pixel_values;          // [B, N, C, H, W] float, per sample its tiles (+ global image), padded with all-zero images (undefined: none)
  torch::Tensor pixel_attention_mask;  // [B, N, H, W] 0/1 (undefined: all ones): which pixels are image, not padding; read on the host (best kept on the CPU)
  // The same on the CPU (data::idefics3_inputs sets them): which images and patches are real and
  // where the image tokens go are read on the host, and these spare reading them back (undefined:
  // read back, or for the pixels tested on the device).
  torch::Tensor host_input_ids;
  torch::Tensor host_pixel_values;
  torch::Tensor host_pixel_attention_mask;
  torch::Tensor host_real_images;     // [B * N] bool on the CPU: which images are real (given, the pixels are not tested)
  PackedRows packed;                  // several samples per row (undefined segments: one)
};

// Which patches of each image hold any real pixel: pixel_attention_mask [N, H, W] -> [N, H/P, W/P] bool.
torch::Tensor idefics3_patch_attention_mask(const torch::Tensor& pixel_attention_mask, int64_t patch_size);

// Idefics3VisionEmbeddings' position ids: per image, the real patch grid (nh x nw at the top
// left) bucketed onto the num_patches_per_side^2 learned positions; padding patches get 0.
// patch_attention_mask: [N, h, w] bool -> [N, h * w] int64.
torch::Tensor idefics3_position_ids(const torch::Tensor& patch_attention_mask, int64_t num_patches_per_side);

class Idefics3VisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit Idefics3VisionEmbeddingsImpl(const io::VisionTransformerConfig& config);
  // pixel_values: [N, C, H, W], patch_attention_mask: [N, H/P, W/P] bool -> [N, patches, hidden]
  torch::Tensor forward(const torch::Tensor& pixel_values, const torch::Tensor& patch_attention_mask);

  torch::nn::Conv2d patch_embedding{nullptr};        // C -> hidden, kernel = stride = patch_size, with bias
  torch::nn::Embedding position_embedding{nullptr};  // [(image_size / patch_size)^2, hidden]

 private:
  int64_t m_patches_per_side;
};
TORCH_MODULE(Idefics3VisionEmbeddings);

class Idefics3VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit Idefics3VisionTransformerImpl(const io::VisionTransformerConfig& config);
  // pixel_values: [N, C, H, W], patch_attention_mask: [N, H/P, W/P] bool (undefined: all real),
  // read on the host (best given on the CPU) -> last hidden state after post_layernorm [N, patches, hidden]
  torch::Tensor forward(const torch::Tensor& pixel_values, const torch::Tensor& patch_attention_mask);

  int64_t patch_size() const { return m_patch_size; }

  Idefics3VisionEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};

 private:
  int64_t m_patch_size;
};
TORCH_MODULE(Idefics3VisionTransformer);

// Idefics3SimpleMLP: one linear without bias, named `proj`.
class Idefics3ProjectionImpl : public torch::nn::Module {
 public:
  Idefics3ProjectionImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x) { return proj(x); }
  lora::LoraLinear proj{nullptr};
};
TORCH_MODULE(Idefics3Projection);

// Idefics3's pixel shuffle: [N, S, D] (S a square) -> [N, S / s^2, D * s^2].
torch::Tensor idefics3_pixel_shuffle(const torch::Tensor& x, int64_t scale_factor);

class Idefics3ConnectorImpl : public torch::nn::Module {
 public:
  Idefics3ConnectorImpl(int64_t vision_hidden, int64_t text_hidden, int64_t scale_factor);
  // [N, patches, vision_hidden] -> [N, patches / s^2, text_hidden]
  torch::Tensor forward(const torch::Tensor& image_hidden_states);

  Idefics3Projection modality_projection{nullptr};

 private:
  int64_t m_scale_factor;
};
TORCH_MODULE(Idefics3Connector);

class Idefics3Impl : public torch::nn::Module {
 public:
  explicit Idefics3Impl(const io::ModelConfig& config);

  // The projected features of the real images (all-zero padding images dropped, as the
  // reference does), in order, from inputs.pixel_values [B, N, C, H, W] and
  // pixel_attention_mask [B, N, H, W] or undefined -> [real images, tokens per image, hidden]
  torch::Tensor image_features(const Idefics3Inputs& inputs);

  // Token embeddings with the image tokens replaced by the image features. -> [B, T, hidden]
  torch::Tensor embed(const Idefics3Inputs& inputs);

  // LlamaModel's positions: 0..T-1 in every row (the reference ignores right padding); packed rows count
  // from 0 in each sample. -> [B, T]
  torch::Tensor position_ids(const Idefics3Inputs& inputs) const;

  // The decoder's final hidden states, before lm_head (the training loss applies lm_head in
  // chunks, core/lora/chunked_loss.h). -> [B, T, hidden]
  torch::Tensor hidden_states(const Idefics3Inputs& inputs);
  // -> logits [B, T, vocab]
  torch::Tensor forward(const Idefics3Inputs& inputs);

  // Generation, batch 1, in two halves: prefill() runs the prompt (images included) through the
  // decoder, its keys/values into `cache`; decode_step() runs one new token after it. The step
  // refers to this module: it must outlive the step.
  Prefill prefill(const Idefics3Inputs& prompt, KvCache& cache);
  DecodeStep decode_step();

  // Greedy decoding with a KV cache over those two, batch 1: the prompt plus up to
  // `max_new_tokens`, stopping after any of `eos_ids`. -> [1, T + new]
  torch::Tensor generate_greedy(const Idefics3Inputs& prompt, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids);

  int64_t image_token_id() const { return m_image_token_id; }

  Idefics3VisionTransformer vision_model{nullptr};
  Idefics3Connector connector{nullptr};
  TextDecoder text_model{nullptr};
  lora::LoraLinear lm_head{nullptr};

 private:
  int64_t m_image_token_id;
};
TORCH_MODULE(Idefics3);

// Loads config.json and the weights of an Idefics3 / SmolVLM checkpoint folder (single file or
// sharded, any float dtype; the Hub layout model.vision_model.* / model.connector.* /
// model.text_model.* / lm_head.weight, as these fixtures have it, or the bare module names) into
// a model on the CPU with its parameters in `dtype`; .to() it afterwards. Throws FileError /
// FormatError naming the folder, the file and the tensor.
Idefics3 load_idefics3(const std::filesystem::path& folder, torch::Dtype dtype = torch::kFloat32);

}  // namespace vltune::models
