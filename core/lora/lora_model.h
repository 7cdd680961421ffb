#pragma once
// A family model (Qwen2-VL, Qwen2.5-VL, LLaVA, Idefics3, CLIP) with its LoRA adapters: the
// TrainableModel the trainer trains (core/train/trainable.h), and what the app uses to compare
// base and adapted outputs on one copy of the weights (set_active_adapters({}) for the base).
//
// One adapter is the trainable one: exactly its lora_A / lora_B require grad (every other
// parameter is frozen, as PEFT and LLaMA-Factory freeze the rest under LoRA); save_trained /
// load_trained write and read it as a PEFT adapter folder.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <torch/torch.h>

#include "core/lora/chunked_loss.h"
#include "core/lora/peft_adapter.h"
#include "core/lora/targeting.h"
#include "core/models/clip.h"
#include "core/models/family_layout.h"
#include "core/models/idefics3.h"
#include "core/models/llava.h"
#include "core/models/qwen_vl.h"
#include "core/train/trainable.h"

namespace vltune::lora {

using FamilyModel = std::variant<models::QwenVL, models::Llava, models::Idefics3, models::ClipModel>;

// Sum of next-token cross-entropies: logits [B, T, V] against labels [B, T] shifted by one,
// -100 ignored (the reference's ForCausalLMLoss with reduction "sum"). -> (scalar float32, count)
std::pair<torch::Tensor, int64_t> causal_lm_loss_sum(const torch::Tensor& logits, const torch::Tensor& labels);
// CLIP's contrastive loss summed over pairs: (sum CE over texts + sum CE over images) / 2, so that
// dividing by the pair count gives transformers' clip_loss. logits_per_text: [B, B] -> (scalar, B)
std::pair<torch::Tensor, int64_t> clip_loss_sum(const torch::Tensor& logits_per_text);

class LoraModel final : public train::TrainableModel {
 public:
  LoraModel(FamilyModel model, io::ModelFamily family, std::filesystem::path folder);

  io::ModelFamily family() const { return m_family; }
  const models::FamilyLayout& layout() const { return *m_layout; }
  // The model folder it was loaded from.
  const std::filesystem::path& folder() const { return m_folder; }
  FamilyModel& model() { return m_model; }
  // The family model's root module (named_parameters() are the module paths).
  torch::nn::Module& module();
  const torch::nn::Module& module() const { return const_cast<LoraModel*>(this)->module(); }
  torch::Device device() const;

  // --- adapters ---
  // Adds a new adapter `name` on the layers `target` selects (with `freeze`), PEFT-initialised
  // (seed torch first for reproducibility), active, and makes it the trainable one. The config
  // records target_modules as the regex, or the list of module paths selected.
  const AdapterRecord& add_adapter(const std::string& name, const LoraAdapterParams& params, const LoraTarget& target,
                                   const FreezeParams& freeze);
  // Reads a PEFT adapter folder as adapter `name` (active; not trainable until set_trainable_adapter).
  const AdapterRecord& load_adapter(const std::filesystem::path& dir, const std::string& name = "default");
  // Writes adapter `name` as a PEFT adapter folder (current key layout unless told otherwise).
  void save_adapter(const std::string& name, const std::filesystem::path& dir, PeftKeyLayout keys = PeftKeyLayout::current) const;
  void remove_adapter(const std::string& name);
  std::vector<std::string> adapter_names() const;
  const AdapterRecord& adapter(const std::string& name) const;
  // The adapters every layer adds in forward() (empty: the base model).
  void set_active_adapters(const std::vector<std::string>& names);
  const std::vector<std::string>& active_adapters() const { return m_active; }
  // Multiplies every active adapter's scaling (1: as trained).
  void set_adapter_scale(double scale);
  double adapter_scale() const { return m_scale; }
  // Which adapter trains (its parameters alone require grad); empty: none.
  void set_trainable_adapter(const std::string& name);
  const std::string& trainable_adapter() const { return m_trainable; }
  // Gradient checkpointing of every decoder layer, encoder layer and vision block: while
  // training, each block's activations are recomputed in backward instead of kept (LLaMA-Factory
  // turns it on unless disable_gradient_checkpointing). Same gradients; off by default here.
  void set_gradient_checkpointing(bool on);
  bool gradient_checkpointing() const { return m_gradient_checkpointing; }
  // With checkpointing, each block's saved input waits for backward in host memory instead of on
  // the device (LLaMA-Factory's use_unsloth_gc; models/checkpointing.h). Same gradients.
  void set_checkpoint_offload(bool on);
  // Mixed precision as torch.autocast (HF's Trainer with bf16 / fp16): every adapter's products in
  // `dtype` (LoraLinearImpl::set_compute_dtype), nullopt: in float32. Training sets it for
  // half-precision base weights; chat and export leave it off, as PEFT runs without autocast.
  void set_adapter_compute_dtype(std::optional<torch::ScalarType> dtype);
  std::optional<torch::ScalarType> adapter_compute_dtype() const { return m_compute_dtype; }
  // How loss() splits lm_head's rows (fewer rows: less memory for the logits, more launches).
  void set_loss_params(const ChunkedLossParams& params) { m_loss_params = params; }
  const ChunkedLossParams& loss_params() const { return m_loss_params; }

  // Folds the active adapters into the base weights (W += scaling * B @ A; DoRA rescales the rows,
  // see LoraLinearImpl::merge_and_remove) and removes them.
  void merge_active_adapters();

  // --- generation ---
  // Greedy answer to one prompt: `prompt` is a batch of one row without padding (collate() of
  // data::SampleEncoder::encode_prompt), input_ids [1, T]. Runs the active adapters in eval mode
  // without autograd (the training mode is restored after) and stops after any of `eos_ids` or
  // `max_new_tokens`. -> the new token ids only (the stopping EOS included when one came).
  // Throws vltune::Error for CLIP (no decoder) or a batch of more than one row.
  std::vector<int64_t> generate_greedy(const data::Batch& prompt, int64_t max_new_tokens, const std::vector<int64_t>& eos_ids);

  // --- TrainableModel ---
  // Causal LM families: summed token cross-entropy over label tokens, count = label tokens (only
  // the label positions go through lm_head, in chunks: chunked_causal_lm_loss_sum);
  // CLIP: the contrastive loss summed over pairs, count = pairs.
  train::BatchLoss loss(const data::Batch& batch) override;
  // The trainable adapter's lora_A / lora_B (and DoRA's magnitude), layer by layer in model order
  // (A, B, magnitude), named as PEFT's named_parameters() ("base_model.model.<module>.lora_A.<adapter>.weight",
  // "….lora_magnitude_vector.<adapter>.weight").
  std::vector<train::TrainableParam> trainable_parameters() override;
  void set_training(bool on) override;
  void save_trained(const std::filesystem::path& dir) const override;
  void load_trained(const std::filesystem::path& dir) override;

 private:
  AdapterRecord& record(const std::string& name);
  void apply_requires_grad();

  FamilyModel m_model;
  io::ModelFamily m_family;
  const models::FamilyLayout* m_layout;
  std::filesystem::path m_folder;
  std::map<std::string, AdapterRecord> m_adapters;
  std::vector<std::string> m_active;
  std::string m_trainable;
  double m_scale = 1.0;
  bool m_gradient_checkpointing = false;
  std::optional<torch::ScalarType> m_compute_dtype;
  ChunkedLossParams m_loss_params;
};

}  // namespace vltune::lora
