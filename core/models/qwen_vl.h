#pragma once
// Qwen2-VL and Qwen2.5-VL for conditional generation (modeling_qwen2_vl.py, modeling_qwen2_5_vl.py):
// the vision tower's tokens placed at the image-token positions of the embedded text, 3-axis
// M-RoPE position ids (get_rope_index), the Qwen2 decoder and lm_head. Registered under the
// classic checkpoint names: model.*, visual.*, lm_head.weight.

#include <filesystem>
#include <vector>

#include <torch/torch.h>

#include "core/io/hf_config.h"
#include "core/models/greedy.h"
#include "core/models/kv_cache.h"
#include "core/models/packed_rows.h"
#include "core/models/text_decoder.h"
#include "core/models/qwen_vision.h"

namespace vltune::models {

// The inputs of one forward pass (what the processor and the chat template produce).
// The positions and the image-token places are worked out on the host: the host_* mirrors (the
// same values on the CPU, data::qwen_inputs sets them) spare reading them back from a device.
struct QwenVLInputs {
  torch::Tensor input_ids;            // [B, T] int64
  torch::Tensor attention_mask;       // [B, T] 0/1 (undefined: all ones)
  torch::Tensor pixel_values;         // [N, C*T*P*P] rows of every image in order (undefined: no images)
  torch::Tensor image_grid_thw;       // [images, 3] int64, read on the host (best kept on the CPU)
  torch::Tensor host_input_ids;       // input_ids on the CPU (undefined: read back when needed)
  torch::Tensor host_attention_mask;  // attention_mask on the CPU (undefined: read back when needed)
  PackedRows packed;                  // several samples per row (undefined segments: one)
};

class QwenVLImpl : public torch::nn::Module {
 public:
  explicit QwenVLImpl(const io::ModelConfig& config);

  // 3-axis positions (get_rope_index): text advances all three axes together, an image's tokens
  // take (t, row, column) offsets from where it starts, text after it continues past its largest
  // offset. Padding (attention_mask 0) gets 0, as transformers 5 does. Isolated packed samples
  // (neat_packing) each start again from 0; other packed rows run on as one sequence, as
  // LLaMA-Factory's collator computes them. -> [3, B, T] int64
  torch::Tensor position_ids(const QwenVLInputs& inputs) const;
  // The same, worked out and left on the CPU. -> [3, B, T] int64
  torch::Tensor host_position_ids(const QwenVLInputs& inputs) const;

  // Token embeddings with the image tokens replaced by the vision tower's output. -> [B, T, hidden]
  torch::Tensor embed(const QwenVLInputs& inputs);

  // The decoder's final hidden states, before lm_head (the training loss applies lm_head in
  // chunks, core/lora/chunked_loss.h). -> [B, T, hidden]
  torch::Tensor hidden_states(const QwenVLInputs& inputs);
  // -> logits [B, T, vocab]
  torch::Tensor forward(const QwenVLInputs& inputs);

  // Generation, batch 1, in two halves: prefill() runs the prompt (images included) through the
  // decoder, its keys/values into `cache`; decode_step() runs one new token after it. The step
  // refers to this module: it must outlive the step.
  Prefill prefill(const QwenVLInputs& prompt, KvCache& cache);
  DecodeStep decode_step();

  // Greedy decoding with a KV cache over those two, batch 1: the prompt plus up to
  // `max_new_tokens`, stopping after any of `eos_ids`. -> [1, T + new]
  torch::Tensor generate_greedy(const QwenVLInputs& prompt, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids);

  TextDecoder model{nullptr};
  QwenVision visual{nullptr};
  lora::LoraLinear lm_head{nullptr};

 private:
  io::ModelFamily m_family;
  int64_t m_image_token_id, m_video_token_id, m_merge_size;
  bool m_tied;
};
TORCH_MODULE(QwenVL);

// Loads config.json and the weights of a Qwen2-VL / Qwen2.5-VL checkpoint folder (single file or
// sharded, any float dtype) into a model on the CPU whose parameters are in `dtype` (linear
// weights not initialised first: lora::SkipLinearInit); .to() it afterwards. Throws
// FileError / FormatError naming the folder, the file and the tensor.
QwenVL load_qwen_vl(const std::filesystem::path& folder, torch::Dtype dtype = torch::kFloat32);

// Mean token cross-entropy of next-token prediction: logits [B, T, V] against labels [B, T]
// shifted by one, -100 ignored (the reference's ForCausalLMLoss). -> scalar float32
torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace vltune::models
