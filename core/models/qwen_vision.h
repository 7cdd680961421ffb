#pragma once
// The vision towers of Qwen2-VL (modeling_qwen2_vl.py Qwen2VisionTransformerPretrainedModel) and
// Qwen2.5-VL (modeling_qwen2_5_vl.py Qwen2_5_VisionTransformerPretrainedModel): a 3-D patch
// embedding over temporal_patch_size frames, 2-D rotary attention within each image (Qwen2.5-VL:
// within windows of window_size pixels, except at fullatt_block_indexes), and the patch merger
// joining spatial_merge_size^2 patches into one token of the language model's width.
// Registered under the checkpoint's names (visual.blocks.N.attn.qkv...).

#include <torch/torch.h>

#include "core/io/hf_config.h"
#include "core/models/blocks.h"
#include "core/models/checkpointing.h"

namespace vltune::models {

// What differs between the two towers.
struct QwenVisionOptions {
  int64_t depth = 32;                          // transformer blocks
  int64_t width = 1280;                        // block width (Qwen2-VL embed_dim, Qwen2.5-VL hidden_size)
  int64_t heads = 16;                          // attention heads
  int64_t mlp_width = 5120;                    // block MLP width
  std::string act = "quick_gelu";              // block MLP activation
  bool gated_mlp = false;                      // Qwen2.5-VL: gate/up/down MLP and RMSNorm; Qwen2-VL: fc1/fc2 and LayerNorm
  int64_t out_width = 3584;                    // merger output (the language model's hidden size)
  int64_t in_channels = 3;                     // image channels
  int64_t patch_size = 14;                     // patch side, pixels
  int64_t temporal_patch_size = 2;             // frames per patch
  int64_t merge_size = 2;                      // patches per side merged into one token
  double rope_theta = 10000.0;                 // 2-D rotary base
  int64_t window_size = 0;                     // Qwen2.5-VL: attention window side in pixels (0: none)
  std::vector<int64_t> fullatt_block_indexes;  // Qwen2.5-VL: blocks attending over the whole image
};
QwenVisionOptions qwen_vision_options(const io::Qwen2VLVisionConfig& config);
QwenVisionOptions qwen_vision_options(const io::Qwen2_5_VLVisionConfig& config);

class QwenPatchEmbedImpl : public torch::nn::Module {
 public:
  explicit QwenPatchEmbedImpl(const QwenVisionOptions& o);
  // pixel rows: [N, C * T * P * P] -> [N, width]
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv3d proj{nullptr};
};
TORCH_MODULE(QwenPatchEmbed);

class QwenVisionAttentionImpl : public torch::nn::Module {
 public:
  explicit QwenVisionAttentionImpl(const QwenVisionOptions& o);
  // x: [N, width], cos/sin: [N, head_dim], cu_seqlens: boundaries of the attention blocks -> [N, width]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const std::vector<int64_t>& cu_seqlens);

  lora::LoraLinear qkv{nullptr}, proj{nullptr};

 private:
  int64_t m_heads, m_head_dim;
};
TORCH_MODULE(QwenVisionAttention);

class QwenVisionBlockImpl : public torch::nn::Module {
 public:
  explicit QwenVisionBlockImpl(const QwenVisionOptions& o);
  // x: [N, width] -> [N, width]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const std::vector<int64_t>& cu_seqlens);

  QwenVisionAttention attn{nullptr};

 private:
  torch::nn::AnyModule m_norm1, m_norm2, m_mlp;
};
TORCH_MODULE(QwenVisionBlock);

class QwenPatchMergerImpl : public torch::nn::Module {
 public:
  explicit QwenPatchMergerImpl(const QwenVisionOptions& o);
  // x: [N, width] -> [N / merge^2, out_width]
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Sequential mlp{nullptr};

 private:
  torch::nn::AnyModule m_ln_q;
  int64_t m_in;
};
TORCH_MODULE(QwenPatchMerger);

// With set_gradient_checkpointing(true), each block is checkpointed while training.
class QwenVisionImpl : public torch::nn::Module, public CheckpointedStack {
 public:
  explicit QwenVisionImpl(QwenVisionOptions o);
  // pixel_values: [N, C*T*P*P] (rows of every image, in order), grid_thw: [images, 3] int64,
  // read on the host (keep it on the CPU: on a device it is read back, a wait for the device)
  //   -> [N / merge^2, out_width], the tokens of every image in order
  torch::Tensor forward(const torch::Tensor& pixel_values, const torch::Tensor& grid_thw);

  QwenPatchEmbed patch_embed{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  QwenPatchMerger merger{nullptr};

 private:
  QwenVisionOptions m_options;
  // [head_dim / 4] float32: the 2-D rotary frequencies. Only the host reads them (the rotary
  // table is built there), so they stay on the CPU and are no buffer that moves with the module.
  torch::Tensor m_inv_freq;
};
TORCH_MODULE(QwenVision);

}  // namespace vltune::models
